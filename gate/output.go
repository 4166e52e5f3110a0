package gate

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the summary table, one row a line, then every failing
// row with its failed outcomes and counterexamples.
func WriteTable(w io.Writer, r *Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "status\tcheck\tdesign\tN\tB\tC\tR\tK\tL\tstates\tmax pages\tmax pending\tmax reserve_used\tfailed outcomes")
	for _, row := range r.Rows {
		var failed []string
		for _, o := range row.Outcomes {
			if !o.Passed {
				failed = append(failed, o.Kind+" "+o.What)
			}
		}
		p := row.Params
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", row.Status, row.Check, row.Design,
			p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Calls, p.Limit, row.States, row.Max.Pages, row.Max.Pending, row.Max.ReserveUsed, strings.Join(failed, "; "))
	}
	tw.Flush()
	for _, row := range r.Rows {
		if row.Passed {
			continue
		}
		fmt.Fprintf(w, "\n%s %s\n", row.Status, row.ID())
		if !row.Complete {
			fmt.Fprintf(w, "  run incomplete: %s\n", row.StopReason)
		}
		for _, o := range row.Outcomes {
			if o.Passed {
				continue
			}
			fmt.Fprintf(w, "  %s %s: %s\n", o.Kind, o.What, o.Detail)
			if len(o.Witness) > 0 {
				fmt.Fprintf(w, "    witness: %s\n", strings.Join(o.Witness, ", "))
			}
			for _, ln := range strings.Split(strings.TrimRight(FormatTrace(o.Trace), "\n"), "\n") {
				if ln != "" {
					fmt.Fprintf(w, "    %s\n", ln)
				}
			}
		}
	}
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "\ngate %s: %s: %d rows, %d failed", r.File, verdict, len(r.Rows), r.Failed)
	if r.Interrupted {
		fmt.Fprint(w, ", interrupted (rows not run are missing)")
	}
	fmt.Fprintln(w)
}

// WriteJSON writes the result as indented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the result as JUnit XML: a testsuite per check, a
// testcase per row, the failed outcomes and counterexamples in <failure>.
func WriteJUnit(w io.Writer, r *Result) error {
	out := junitSuites{Name: "rcucheck gate " + r.File, Time: r.ElapsedSec}
	index := map[string]int{}
	for _, row := range r.Rows {
		i, ok := index[row.Check]
		if !ok {
			i = len(out.Suites)
			index[row.Check] = i
			out.Suites = append(out.Suites, junitSuite{Name: row.Check})
		}
		s := &out.Suites[i]
		c := junitCase{Name: row.Design + " " + row.Params.String(), Classname: "rcucheck.gate." + row.Check, Time: row.ElapsedSec}
		c.SystemOut = fmt.Sprintf("states=%d transitions=%d max pages=%d pending=%d reserve_used=%d", row.States, row.Transitions, row.Max.Pages, row.Max.Pending, row.Max.ReserveUsed)
		if !row.Passed {
			var msgs []string
			var text strings.Builder
			for _, o := range row.Outcomes {
				if o.Passed {
					continue
				}
				msgs = append(msgs, fmt.Sprintf("%s %s: %s", o.Kind, o.What, o.Detail))
				text.WriteString(outcomeText(o))
			}
			c.Failure = &junitFailure{Message: strings.Join(msgs, "; "), Type: row.Status, Text: text.String()}
			s.Failures++
			out.Failures++
		}
		s.Tests++
		s.Time += row.ElapsedSec
		out.Tests++
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteFileAtomic writes path through a temporary file in the same
// directory and a rename, so that a reader never sees it half written.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteOutputs writes dir/gate.json, dir/junit.xml and, per failing row,
// dir/traces/rowNNN-DESIGN.txt with its counterexamples. Trace files of an
// earlier run in dir are removed first, so that the directory describes
// this run only.
func WriteOutputs(dir string, r *Result) error {
	old, _ := filepath.Glob(filepath.Join(dir, "traces", "row*.txt"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("removing an old trace: %w", err)
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, "gate.json"), func(w io.Writer) error { return WriteJSON(w, r) }); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, "junit.xml"), func(w io.Writer) error { return WriteJUnit(w, r) }); err != nil {
		return err
	}
	for i, row := range r.Rows {
		if row.Passed {
			continue
		}
		name := filepath.Join(dir, "traces", fmt.Sprintf("row%03d-%s.txt", i+1, safeName(row.Design)))
		err := WriteFileAtomic(name, func(w io.Writer) error {
			fmt.Fprintf(w, "%s %s\n", row.Status, row.ID())
			for _, o := range row.Outcomes {
				if !o.Passed {
					fmt.Fprintf(w, "\n%s", outcomeText(o))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '.' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}

// outcomeText renders a failed outcome: its detail, then its counterexample
// or pumping cycle.
func outcomeText(o Outcome) string {
	s := fmt.Sprintf("%s %s: %s\n%s", o.Kind, o.What, o.Detail, FormatTrace(o.Trace))
	if len(o.Witness) > 0 {
		s += "witness: " + strings.Join(o.Witness, ", ") + "\n"
	}
	return s
}
