package bound

import "fmt"

// The trends of a figure over a sweep.
const (
	TrendPlateau   = "plateau"   // the last Window values are equal
	TrendGrowing   = "growing"   // it rose within the last Window values
	TrendIrregular = "irregular" // neither: it fell somewhere in the tail
)

// Trend is the shape of a figure over a sweep.
type Trend struct {
	Kind string `json:"kind"`
	// Value is the plateau's value, From the first swept value where the
	// figure reached it (plateau only).
	Value int64 `json:"value,omitempty"`
	From  int   `json:"from,omitempty"`
	// Window is the number of final points the classification looked at.
	Window int `json:"window"`
}

// Classify reads the trend of ys (the figure at xs): a plateau when the
// last window values are equal, growing when they do not decrease and the
// last is larger than the first of them, irregular otherwise. A window
// larger than the sweep is cut to its length; it must be at least 2.
func Classify(xs []int, ys []int64, window int) (Trend, error) {
	if len(xs) != len(ys) || len(ys) < 2 {
		return Trend{}, fmt.Errorf("classify: need at least 2 points, got %d", len(ys))
	}
	if window < 2 {
		return Trend{}, fmt.Errorf("classify: window must be at least 2, got %d", window)
	}
	window = min(window, len(ys))
	tail := ys[len(ys)-window:]
	flat, rising := true, true
	for i := 1; i < len(tail); i++ {
		flat = flat && tail[i] == tail[0]
		rising = rising && tail[i] >= tail[i-1]
	}
	t := Trend{Window: window}
	switch {
	case flat:
		t.Kind = TrendPlateau
		t.Value = tail[0]
		i := len(ys) - 1
		for i > 0 && ys[i-1] == t.Value {
			i--
		}
		t.From = xs[i]
	case rising:
		t.Kind = TrendGrowing
	default:
		t.Kind = TrendIrregular
	}
	return t, nil
}
