package model

import (
	"strings"
	"testing"
)

// TestRulesText prints the table of rules of every built-in design, as a
// Promela printer would read it, and checks a few of its lines.
func TestRulesText(t *testing.T) {
	want := map[string][]string{
		"head": {
			"free(c) alloc-ok: calls[c] < K && blk[c] == FREE && !(objs[c] < pages[c]*B) && !(cache[c] > 0) -> calls[c] += 1; pages[c] += 1; objs[c] += 1; pin[c] |= RD;",
			"read_unlock(c) : rd[c] == 1 -> rd[c] = 0; remove c from every CPU set;",
			"reclaim(c,j) : phase[c][j] == DONE -> bpages[c][j] to reserve and cache[c] by policy 0; slot j = FREE with zeros;",
		},
		"limit": {
			"free(c) reserve: calls[c] < K && blk[c] == FREE && objs[c] + heads[c] + bobjs[c][0] + bheads[c][0] + bobjs[c][1] + bheads[c][1] < L && !(objs[c] < pages[c]*B) && !(cache[c] > 0) && reserve > 0 -> calls[c] += 1; reserve += -1;",
			"free(c) stuck: calls[c] < K && blk[c] == FREE && objs[c] + heads[c] + bobjs[c][0] + bheads[c][0] + bobjs[c][1] + bheads[c][1] < L && !(objs[c] < pages[c]*B) && !(cache[c] > 0) && reserve == 0 -> calls[c] += 1; stuck = 1;",
		},
		"linux-sleepable": {"refill(c) one: cache[c] < C && cache[c] + 1 < C -> cache[c] += 1;"},
	}
	for _, d := range AllDesigns() {
		m, err := New(d, DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		text := rulesText(d, m.rules, specName(m.layout.header))
		t.Logf("design %s:\n%s", d.Name(), text)
		for _, line := range want[d.Name()] {
			if !strings.Contains(text, line) {
				t.Errorf("design %s: no line %q in\n%s", d.Name(), line, text)
			}
		}
	}
}
