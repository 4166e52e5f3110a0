package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestHelpVersionCompletion: rcucheck --help and help list the commands,
// help CMD and CMD -h a command's flags (exit 0, on stdout); an unknown
// help topic is exit 2; --version and completion scripts work.
func TestHelpVersionCompletion(t *testing.T) {
	commands := []string{"check", "fuzz", "claims", "bound", "gate", "lin", "import", "bench", "completion"}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, commands},
		{[]string{"-h"}, commands},
		{[]string{"help"}, commands},
		{[]string{"-help"}, commands},
		{[]string{"help", "check"}, []string{"rcucheck check [flags]", "--calls int", "--max-states", "--trace string"}},
		{[]string{"check", "--help"}, []string{"rcucheck check [flags]", "--calls int"}},
		{[]string{"check", "-h"}, []string{"rcucheck check [flags]", "--calls int"}},
		{[]string{"check", "-help"}, []string{"rcucheck check [flags]", "--calls int"}},
		{[]string{"help", "gate"}, []string{"rcucheck gate FILE.toml [flags]", "--out string"}},
		{[]string{"help", "import", "ftrace"}, []string{"rcucheck import ftrace FILE [flags]", "--window string"}},
		{[]string{"help", "bench"}, []string{"--spin-modes", "--fingerprint", "--workers"}},
		{[]string{"--version"}, []string{"rcucheck version "}},
		{[]string{"-version"}, []string{"rcucheck version "}},
		{[]string{"completion", "bash"}, []string{"bash completion"}},
		{[]string{"completion", "zsh"}, []string{"compdef"}},
		{[]string{"completion", "fish"}, []string{"complete -c rcucheck"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := rcucheck(tc.args...)
			if code != exitOK || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, errs := rcucheck("help", "nosuch")
	if code != exitUsage || out != "" || errs != "rcucheck help: unknown help topic \"nosuch\" (run 'rcucheck help')\n" {
		t.Errorf("help nosuch: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestVersionOf: the version names the module version, the VCS revision
// and its time when the build recorded them, and Go's version.
func TestVersionOf(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	if got := versionOf(bi); got != "(devel), go1.26.8" {
		t.Errorf("no VCS: %q", got)
	}
	bi.Settings = []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2025-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}
	if got := versionOf(bi); got != "(devel), revision abc123 with local changes of 2025-01-02T03:04:05Z, go1.26.8" {
		t.Errorf("VCS: %q", got)
	}
}

// TestFlagsAnywhere: flags stand before or after the positional arguments
// on every command, and Go-style single-dash long flags (-calls 1,
// -calls=1) give the same run as double-dash ones.
func TestFlagsAnywhere(t *testing.T) {
	_, want, _ := rcucheck("check", "--design", "head", "--calls", "1", "--quiet")
	for _, args := range [][]string{
		{"check", "-design", "head", "-calls", "1", "-quiet"},
		{"check", "-design=head", "-calls=1", "-quiet=true"},
		{"check", "--calls=1", "-design", "head", "--quiet"},
	} {
		code, out, errs := rcucheck(args...)
		if code != exitOK || out != want {
			t.Errorf("%v: exit %d, stderr %q, stdout\n%s\nwant\n%s", args, code, errs, out, want)
		}
	}
	dir := t.TempDir()
	gateFile := filepath.Join(dir, "g.toml")
	if err := os.WriteFile(gateFile, []byte("[[check]]\nname = \"early caught\"\ndesigns = [\"early\"]\ncpus = 2\ncalls = 1\nviolated = [\"GracePeriod\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, args := range [][]string{
		{"gate", gateFile, "--quiet", "--out", filepath.Join(dir, "a")},
		{"gate", "--quiet", gateFile, "-out", filepath.Join(dir, "b")},
		{"gate", "-quiet", "-out=" + filepath.Join(dir, "c"), gateFile},
	} {
		code, out, errs := rcucheck(args...)
		if code != exitOK || !strings.Contains(out, "PASSED") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, string(rune('a'+i)), "gate.json")); err != nil {
			t.Errorf("%v: --out not honoured: %v", args, err)
		}
	}
}

// TestDefaultCommand: with no command, or flags first, rcucheck runs
// claims, whose flags it takes (single or double dash).
func TestDefaultCommand(t *testing.T) {
	for _, args := range [][]string{{"--calls", "99"}, {"-calls", "99"}, {"-calls=99"}} {
		code, out, errs := rcucheck(args...)
		if code != exitUsage || out != "" || errs != "rcucheck claims: --calls: must be between 3 and 12, got 99\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// TestFlagErrors: a bad flag is one line in the words of Go's flag package
// and exit 2, wherever it stands; an unknown command suggests the nearest.
func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--calls"}, "rcucheck check: flag needs an argument: --calls\n"},
		{[]string{"check", "-calls"}, "rcucheck check: flag needs an argument: --calls\n"},
		{[]string{"check", "-x"}, "rcucheck check: flag provided but not defined: -x\n"},
		{[]string{"check", "-nosuch", "1"}, "rcucheck check: flag provided but not defined: -n\n"},
		{[]string{"check", "--nosuch"}, "rcucheck check: flag provided but not defined: --nosuch\n"},
		{[]string{"check", "--cpus", "two"}, "rcucheck check: invalid value \"two\" for flag --cpus: must be an integer\n"},
		{[]string{"check", "--quiet=maybe"}, "rcucheck check: invalid value \"maybe\" for flag --quiet: must be true or false\n"},
		{[]string{"check", "--design", "x\ny"}, "rcucheck check: --design: unknown design \"x\\ny\""},
		{[]string{"lin", "a", "b"}, "rcucheck lin: unexpected argument \"b\"\n"},
		{[]string{"gate"}, "rcucheck gate: missing FILE argument\n"},
		{[]string{"import", "ftrace"}, "rcucheck import ftrace: missing FILE argument\n"},
		{[]string{"chek"}, "rcucheck: unknown command \"chek\" (run 'rcucheck help', did you mean \"check\"?)\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := rcucheck(tc.args...)
			if code != exitUsage || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errs, tc.want)
			}
		})
	}
}

// TestLongFlags: single-dash long names of the flag set are rewritten with
// two dashes; values (even negative ones or ones that look like flags),
// shorthands, unknown names and everything after "--" are left alone.
func TestLongFlags(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Int("calls", 0, "")
	fs.Bool("quiet", false, "")
	fs.String("window", "", "")
	fs.BoolP("help", "h", false, "")
	tests := []struct{ in, want []string }{
		{[]string{"-calls", "2"}, []string{"--calls", "2"}},
		{[]string{"-calls=2", "FILE"}, []string{"--calls=2", "FILE"}},
		{[]string{"-quiet", "FILE"}, []string{"--quiet", "FILE"}},
		{[]string{"--window", "-3", "-quiet"}, []string{"--window", "-3", "--quiet"}},
		{[]string{"-window", "-calls"}, []string{"--window", "-calls"}},
		{[]string{"-h", "-help", "-nosuch", "-", "-q"}, []string{"-h", "--help", "-nosuch", "-", "-q"}},
		{[]string{"FILE", "--", "-calls"}, []string{"FILE", "--", "-calls"}},
		{[]string{"-calls"}, []string{"--calls"}},
	}
	for _, tc := range tests {
		if got := longFlags(fs, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("longFlags(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
