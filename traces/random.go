package traces

import (
	"math/rand/v2"

	"github.com/rcucheck/rcucheck/model"
)

// RandomPath returns a path of m of at most maxSteps actions, each chosen
// uniformly among the enabled ones by a generator seeded with seed: the
// same seed gives the same path. It stops early in a state where nothing is
// enabled.
func RandomPath(m *model.Model, seed int64, maxSteps int) []model.Action {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	s := m.Initial()
	var path, buf []model.Action
	for len(path) < maxSteps {
		buf = m.Enabled(s, buf[:0])
		if len(buf) == 0 {
			break
		}
		a := buf[rng.IntN(len(buf))]
		m.Apply(s, a)
		path = append(path, a)
	}
	return path
}
