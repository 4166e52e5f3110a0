package model

import "fmt"

// Params are the parameters of the reference model. The JSON names are the
// ones rcucheck prints and reads.
type Params struct {
	CPUs    int `json:"cpus"`    // N: CPUs, 1..64
	Bulk    int `json:"bulk"`    // B: object pointers per bulk page
	Cache   int `json:"cache"`   // C: page-cache capacity per CPU
	Reserve int `json:"reserve"` // R: emergency reserve pages (designs with a reserve only)
	Calls   int `json:"calls"`   // K: frees each CPU issues
	Limit   int `json:"limit"`   // L: in-flight objects per CPU (designs with a limit only)
}

// MaxCPUs is the largest number of CPUs the model supports.
const MaxCPUs = 64

// MaxCount bounds the count parameters (B, C, R, K, L) so that every counter
// fits in an int32 with room to spare.
const MaxCount = 1 << 30

// DefaultParams returns the spec's small defaults: N=2, B=2, C=1, R=1, K=3, L=2.
func DefaultParams() Params {
	return Params{CPUs: 2, Bulk: 2, Cache: 1, Reserve: 1, Calls: 3, Limit: 2}
}

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	if p.CPUs < 1 || p.CPUs > MaxCPUs {
		return fmt.Errorf("cpus must be between 1 and %d, got %d", MaxCPUs, p.CPUs)
	}
	checks := []struct {
		name string
		v    int
		min  int
	}{
		{"bulk", p.Bulk, 1},
		{"cache", p.Cache, 0},
		{"reserve", p.Reserve, 0},
		{"calls", p.Calls, 0},
		{"limit", p.Limit, 0},
	}
	for _, c := range checks {
		if c.v < c.min || c.v > MaxCount {
			return fmt.Errorf("%s must be between %d and %d, got %d", c.name, c.min, MaxCount, c.v)
		}
	}
	return nil
}

// String formats the parameters as rcucheck's flags would set them.
func (p Params) String() string {
	return fmt.Sprintf("N=%d B=%d C=%d R=%d K=%d L=%d", p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Calls, p.Limit)
}

// ParamNames lists the parameters by their JSON and flag names, in order.
func ParamNames() []string { return []string{"cpus", "bulk", "cache", "reserve", "calls", "limit"} }

// Field returns a pointer to the parameter called name (a ParamNames
// entry), or nil for an unknown name.
func (p *Params) Field(name string) *int {
	switch name {
	case "cpus":
		return &p.CPUs
	case "bulk":
		return &p.Bulk
	case "cache":
		return &p.Cache
	case "reserve":
		return &p.Reserve
	case "calls":
		return &p.Calls
	case "limit":
		return &p.Limit
	}
	return nil
}
