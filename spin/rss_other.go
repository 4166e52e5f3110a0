//go:build !linux && !darwin

package spin

import "os"

// PeakRSS returns 0: this system's peak resident set is not read.
func PeakRSS(*os.ProcessState) uint64 { return 0 }
