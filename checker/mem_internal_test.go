package checker

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"
)

// TestTablesMapAndUnmap checks that tables of every size are zeroed and
// writable, that large ones are mapped (on Linux) from a huge-page boundary,
// and that they can be freed.
func TestTablesMapAndUnmap(t *testing.T) {
	for _, n := range []uint64{1, mapMin/4 - 1, mapMin / 4, hugeMin/4 - 1, hugeMin / 4, 3*hugeMin/4 + 5} {
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
		big := n*4 >= mapMin
		if runtime.GOOS == "linux" && big != (m != nil) {
			t.Fatalf("n=%d: mapped %v, want %v", n, m != nil, big)
		}
		if start := uintptr(unsafe.Pointer(&tab[0])); m != nil && start%hugePageSize != 0 {
			t.Fatalf("n=%d: mapped table at %#x, not on a huge-page boundary", n, start)
		}
		freeTable(m)
	}
}

// BenchmarkRandomLines measures what bounds the visited set's lookups on
// the host: reading 768 random cache lines (a chunk's home buckets) of a
// mapped table in one pass of independent loads, as store.touch does, when
// the lines lie within span bytes of one another in a table of 512 MiB.
// The caches and TLBs are flushed first by writing 64 MiB elsewhere. What a
// line costs beyond the 2 MiB span is the translation of its address: the
// visited set at the defaults spans 430 MiB.
func BenchmarkRandomLines(b *testing.B) {
	const size, lines = 512 << 20, 768
	tab, m := makeTable[byte](size)
	defer freeTable(m)
	for i := 0; i < size; i += 4096 {
		tab[i] = 1 // every page in memory before timing
	}
	flush := make([]byte, 64<<20)
	for _, span := range []int{2 << 20, 32 << 20, size} {
		b.Run(fmt.Sprintf("span=%dMiB", span>>20), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			at := make([]int, lines)
			var sink byte
			for range b.N {
				b.StopTimer()
				base := rng.IntN(size/span) * span
				for i := range at {
					at[i] = base + rng.IntN(span/lineBytes)*lineBytes
				}
				for i := 0; i < len(flush); i += lineBytes {
					flush[i]++
				}
				b.StartTimer()
				for _, a := range at {
					sink += tab[a]
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
			runtime.KeepAlive(sink)
		})
	}
}
