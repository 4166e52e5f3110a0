package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/checker"
	"github.com/spf13/pflag"
)

// FuzzLimitFlags: whatever value a limit flag is given, it is either
// refused with one line (a usage error) or accepted as a limit that holds:
// no negative time, no worker count past checker.MaxWorkers, no memory cap
// whose bytes overflow.
func FuzzLimitFlags(f *testing.F) {
	for _, name := range []string{"timeout", "max-states", "max-memory", "workers"} {
		for _, v := range []string{"-5s", "-5", "0", "10000000", "1025", "1024", "99999999999999999999", "17592186044416",
			"17592186044415", "0x10", "", " 5", "+5", "1h", "-0", "-1ns", "9223372036854775807ns", "2562047h47m16.854775808s", "1e3"} {
			f.Add(name, v)
		}
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
		var lf limitFlags
		lf.register(fs)
		err := parseFlagSet(fs, []string{"--" + name + "=" + value})
		if err != nil {
			var u usageError
			if !errors.As(err, &u) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("--%s=%q: %v is not a one-line usage error", name, value, err)
			}
			return
		}
		if lf.timeout < 0 || lf.workers < 0 || lf.workers > checker.MaxWorkers || lf.maxMemMiB > maxMemoryMiB || (lf.maxMemMiB<<20)>>20 != lf.maxMemMiB {
			t.Fatalf("--%s=%q accepted as %+v", name, value, lf)
		}
	})
}
