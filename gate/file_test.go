package gate

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rcucheck/rcucheck/model"
)

// check1 is a valid [[check]] table to which a test appends one line.
const check1 = "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\n"

// badInputs are gate files that must be refused, each with the one-line
// error (a prefix) naming file, line, field and problem. Before issue 11,
// negative and absurd limits ran as "no limit" and type errors spoke Go.
var badInputs = []struct {
	name, src, want string
}{
	{"negative max_states", check1 + "max_states = -5\n", "g.toml:5: field check[1].max_states: -5 is out of range: want 0 (no limit) to"},
	{"negative max_memory", check1 + "max_memory = -5\n", "g.toml:5: field check[1].max_memory: -5 is out of range"},
	{"max_memory overflows bytes", check1 + "max_memory = 17592186044416\n", "g.toml:5: field check[1].max_memory: 17592186044416 is out of range"},
	{"absurd max_states", check1 + "max_states = 9223372036854775807\n", "g.toml:5: field check[1].max_states: 9223372036854775807 is out of range"},
	{"negative workers", check1 + "workers = -1\n", "g.toml:5: field check[1].workers: -1 is out of range"},
	{"absurd workers", check1 + "workers = 10000000\n", "g.toml:5: field check[1].workers: 10000000 is out of range"},
	{"negative timeout", check1 + "timeout = \"-5s\"\n", `g.toml:5: field check[1].timeout: "-5s" is negative`},
	{"absurd timeout", check1 + "timeout = \"100000h\"\n", `g.toml:5: field check[1].timeout: "100000h" is out of range`},
	{"timeout without unit", check1 + "timeout = \"5\"\n", `g.toml:5: field check[1].timeout: "5" is not a duration`},
	{"timeout as a number", check1 + "timeout = 5\n", "g.toml:5: field check[1].timeout: want a duration in a string such as \"90s\" or \"5m\", got an integer (5)"},
	{"negative limit in defaults", "[defaults]\nmax_states = -1\n" + check1, "g.toml:2: field defaults.max_states: -1 is out of range"},
	{"fingerprint not a boolean", check1 + "fingerprint = \"yes\"\n", `g.toml:5: field check[1].fingerprint: want true or false, got a string ("yes")`},
	{"max_states a string", check1 + "max_states = \"x\"\n", `g.toml:5: field check[1].max_states: want an integer, got a string ("x")`},
	{"float param", check1 + "cpus = 1.5\n", "g.toml:5: field check[1].cpus: want an integer or a list of integers, got a float (1.5)"},
	{"list of strings param", check1 + "calls = [1, \"a\"]\n", `g.toml:5: field check[1].calls: value 2 of the list: want an integer, got a string ("a")`},
	{"negative param", check1 + "calls = [1, -1]\n", "g.toml:5: field check[1].calls: calls must be between 0 and"},
	{"huge param", check1 + "bulk = 99999999999999\n", "g.toml:5: field check[1].bulk: bulk must be between 1 and"},
	{"repeated param", check1 + "calls = [1, 1]\n", "g.toml:5: field check[1].calls: 1 is listed twice"},
	{"empty param list", check1 + "calls = []\n", "g.toml:5: field check[1].calls: empty list"},
	{"absurd grid", check1 + "calls = [" + intList(0, 100) + "]\ncache = [" + intList(0, 101) + "]\n", "g.toml:5: field check[1].calls: the grid has more than 10000 points"},
	{"long list", check1 + "bounds = [" + strings.Repeat("\"pages <= 1\", ", 1001) + "]\n", "g.toml:5: field check[1].bounds: the list has 1001 values"},
	{"too many bounds", check1 + "bounds = [" + manyBounds(65) + "]\n", "g.toml:5: field check[1].bounds: 65 bounds: at most 64"},
	{"designs a string", "[[check]]\nname = \"x\"\ndesigns = \"head\"\nholds = [\"NoStuck\"]\n", `g.toml:3: field check[1].designs: want a list of strings, got a string ("head")`},
	{"design listed twice", "[[check]]\nname = \"x\"\ndesigns = [\"all\", \"head\"]\nholds = [\"NoStuck\"]\n", "g.toml:3: field check[1].designs: design head is listed twice"},
	{"name a number", "[[check]]\nname = 3\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\n", "g.toml:2: field check[1].name: want a string, got an integer (3)"},
	{"title a table", "[title]\nx = 1\n" + check1, "g.toml:1: field title: want a string, got a table"},
	{"check a number", "check = 3\n", "g.toml:1: field check: want a list of tables ([[check]]), got an integer (3)"},
	{"check a table", "[check]\nname = \"x\"\n", "g.toml:1: field check: want a list of tables ([[check]]), got a table"},
	{"defaults a list", "[[defaults]]\ncpus = 1\n" + check1, "g.toml:1: field defaults: want a table ([defaults]), got a list"},
	{"unknown top-level key", "tittle = \"x\"\n" + check1, "g.toml:1: field tittle: unknown field"},
	{"unknown key in defaults", "[defaults]\nholds = [\"NoStuck\"]\n" + check1, "g.toml:2: field defaults.holds: unknown field"},
	{"unknown key in second check", check1 + "\n[[check]]\nname = \"y\"\ndesigns = [\"head\"]\nmax_sates = 3\n", "g.toml:9: field check[2].max_sates: unknown field"},
	{"holds a boolean", "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = true\n", "g.toml:4: field check[1].holds: want a list of strings, got a boolean (true)"},
	{"holds a date", "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = 1979-05-27\n", "g.toml:4: field check[1].holds: want a list of strings, got a date or time"},
	{"property listed twice", "[[check]]\nname = \"x\"\ndesigns = [\"head\"]\nholds = [\"NoStuck\", \"NoStuck\"]\n", `g.toml:4: field check[1].holds: "NoStuck" is listed twice`},
	{"newline in a message", check1 + "max_states = 0b\n1\n", `g.toml:5: field check[1].max_states: not a binary number: '0b\n'`},
	{"newline in a quoted key", check1 + "\"a\\nb\" = 1\n", `g.toml:1: field check[1].a\nb: unknown field`},
	{"duplicate key", check1 + "holds = [\"GracePeriod\"]\n", "g.toml:5: field check[1].holds: Key 'check.holds' has already been defined."},
}

func intList(from, to int) string {
	var xs []string
	for i := from; i < to; i++ {
		xs = append(xs, strconv.Itoa(i))
	}
	return strings.Join(xs, ", ")
}

// manyBounds lists n distinct bounds.
func manyBounds(n int) string {
	var xs []string
	for i := range n {
		xs = append(xs, strconv.Quote("pages <= "+strconv.Itoa(i)))
	}
	return strings.Join(xs, ", ")
}

func TestBadInputs(t *testing.T) {
	reg := model.BuiltinRegistry()
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("g.toml", []byte(tc.src), reg)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q\nwant prefix  %q", err, tc.want)
			}
			checkPlainError(t, err)
		})
	}
}

// quoted matches the user's own text, quoted in a message.
var quoted = regexp.MustCompile(`"(\\.|[^"\\])*"|'[^']*'`)

// goWords are words of Go's, not of a gate file's author.
var goWords = regexp.MustCompile(`int64|uint64|float64|interface ?\{|map\[|\[\]|struct|reflect|%!|\(MISSING\)|destination has type|toml: `)

// checkPlainError checks that err is a FileError on one line whose message
// speaks TOML, not Go.
func checkPlainError(t *testing.T, err error) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %q is a %T, want a *FileError", err, err)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("error spans lines: %q", err)
	}
	if w := goWords.FindString(quoted.ReplaceAllString(fe.Msg, `""`)); w != "" {
		t.Errorf("error %q speaks Go (%q)", err, w)
	}
}

func TestLimitsTaken(t *testing.T) {
	src := "[defaults]\nmax_states = 100\nmax_memory = 64\ntimeout = \"5s\"\nworkers = 2\nfingerprint = true\n" +
		check1 + "\n[[check]]\nname = \"y\"\ndesigns = [\"head\"]\nholds = [\"NoStuck\"]\nmax_states = 0\nfingerprint = false\nworkers = 0\ntimeout = \"0s\"\n"
	f, err := Parse("g.toml", []byte(src), model.BuiltinRegistry())
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.Checks[0], f.Checks[1]
	if a.MaxStates != 100 || a.MaxMemory != 64<<20 || a.Timeout.String() != "5s" || a.Workers != 2 || !a.Fingerprint {
		t.Errorf("check x: %+v", a)
	}
	// A check's own 0 means no limit, not "take the defaults'".
	if b.MaxStates != 0 || b.MaxMemory != 64<<20 || b.Timeout != 0 || b.Workers != 0 || b.Fingerprint {
		t.Errorf("check y: %+v", b)
	}
}
