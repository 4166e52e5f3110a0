package checker

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestTablesMapAndUnmap checks that tables of every size are zeroed and
// writable, that large ones are mapped (on Linux) from a huge-page boundary,
// and that they can be freed.
func TestTablesMapAndUnmap(t *testing.T) {
	for _, n := range []uint64{1, hugeMin/4 - 1, hugeMin / 4, 3*hugeMin/4 + 5} {
		tab, m := makeTable[uint32](n)
		if uint64(len(tab)) != n {
			t.Fatalf("n=%d: len %d", n, len(tab))
		}
		for i := range tab {
			if tab[i] != 0 {
				t.Fatalf("n=%d: not zeroed at %d", n, i)
			}
			tab[i] = uint32(i)
		}
		big := n*4 >= hugeMin
		if runtime.GOOS == "linux" && big != (m != nil) {
			t.Fatalf("n=%d: mapped %v, want %v", n, m != nil, big)
		}
		if start := uintptr(unsafe.Pointer(&tab[0])); m != nil && start%hugePageSize != 0 {
			t.Fatalf("n=%d: mapped table at %#x, not on a huge-page boundary", n, start)
		}
		freeTable(m)
	}
}
