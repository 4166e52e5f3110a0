//go:build !linux

package checker

// mapBytes returns nils: outside Linux, tables come from Go's heap.
func mapBytes(uint64) (mapping, b []byte) { return nil, nil }

// unmapBytes is never called outside Linux.
func unmapBytes([]byte) {}
