package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// import ftrace, lin and fuzz's allocation runs print progress lines on
// stderr (lines and MB read, partitions checked, frees made), never on
// stdout, and none with --quiet (issue 11, item 7). Before, import and lin
// printed nothing, and fuzz a heartbeat without figures.
func TestTraceProgress(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"import", "ftrace", kernelTrace("krcu-pressure")}, []string{"import ftrace: ", " lines, ", " MB read (", "import ftrace: replaying on the model", "import ftrace: contract: "}},
		{[]string{"lin", kernelTrace("krcu-pressure")}, []string{"lin: ", " MB read (", "lin: history 1: ", " partitions checked"}},
		{[]string{"fuzz", "--design", "head", "--runs", "1", "--alloc-runs", "2", "--alloc-frees", "200000", "--calls", "200000", "--shortest-states", "0"}, []string{"measuring allocations: ", " frees ("}},
	}
	for _, c := range cases {
		t.Run(c.args[0], func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), &env{stdout: &out, stderr: &errb, progressEvery: time.Millisecond}, c.args)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			for _, w := range c.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if strings.Contains(out.String(), "/s)") {
				t.Errorf("progress on stdout:\n%s", out.String())
			}
			out.Reset()
			errb.Reset()
			run(context.Background(), &env{stdout: &out, stderr: &errb, progressEvery: time.Millisecond}, append(c.args, "--quiet"))
			if errb.Len() != 0 && c.args[0] != "fuzz" || strings.Contains(errb.String(), "measuring") {
				t.Errorf("--quiet still writes on stderr:\n%s", errb.String())
			}
		})
	}
}
