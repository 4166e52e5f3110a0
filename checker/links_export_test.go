package checker

import "context"

// ExploreLinkBytes explores m as Explore does (without deciding the goals)
// and returns the bytes of the parent links' log in use and held (whole
// blocks), and the number of states.
func ExploreLinkBytes(m Model, opt Options) (used, held, states uint64) {
	e := newExplorer(context.Background(), m, opt, tuning{chunkBytes: chunkBytes})
	defer e.free()
	e.run()
	return e.links.used(), e.links.bytes(), e.n
}
