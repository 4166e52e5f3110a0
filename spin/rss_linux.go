package spin

import (
	"os"
	"syscall"
)

// PeakRSS returns the peak resident set of a finished child process in
// bytes (getrusage's ru_maxrss, which Linux gives in KiB), or 0 when the
// system does not report it.
func PeakRSS(ps *os.ProcessState) uint64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return uint64(ru.Maxrss) * 1024
	}
	return 0
}
