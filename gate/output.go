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

	"github.com/rcucheck/rcucheck/internal/fileout"
)

// statusText is a row's status as the table prints it: with the store's
// note when its verdicts rest on fingerprints.
func statusText(row *Row) string {
	if row.LossNote != "" && (row.Status == StatusPass || row.Status == StatusFail) {
		return row.Status + " (" + row.LossNote + ")"
	}
	return row.Status
}

// WriteTable writes the summary table, one row a line, then every row that
// did not pass with its failed outcomes and counterexamples, then the
// outcomes that hold by construction, then the verdict.
func WriteTable(w io.Writer, r *Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "status\tcheck\tdesign\tN\tB\tC\tR\tK\tL\tstates\tmax pages\tmax pending\tmax reserve_used\tfailed outcomes")
	for _, row := range r.Rows {
		var failed []string
		for _, o := range row.Outcomes {
			if o.Status == OutcomeFailed || o.Status == OutcomeUndecided {
				failed = append(failed, o.Kind+" "+o.What)
			}
		}
		p := row.Params
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", statusText(row), row.Check, row.Design,
			p.CPUs, p.Bulk, p.Cache, p.Reserve, p.Calls, p.Limit, row.States, row.Max.Pages, row.Max.Pending, row.Max.ReserveUsed, strings.Join(failed, "; "))
	}
	tw.Flush()
	for _, row := range r.Rows {
		if row.Passed || row.Status == StatusNotRun {
			continue
		}
		fmt.Fprintf(w, "\n%s %s\n", row.Status, row.ID())
		if !row.Complete && row.StopReason != "" {
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
	writeByConstruction(w, r)
	fmt.Fprintln(w)
	fmt.Fprintln(w, summary(r))
}

// writeByConstruction lists the outcomes that hold by construction, each
// reason once with the rows it covers.
func writeByConstruction(w io.Writer, r *Result) {
	type group struct {
		what string
		rows []string
	}
	var order []string
	groups := map[string]*group{}
	for _, row := range r.Rows {
		for _, o := range row.Outcomes {
			if !o.ByConstruction() {
				continue
			}
			key := o.Kind + " " + o.What + "\x00" + o.Detail
			g, ok := groups[key]
			if !ok {
				g = &group{what: fmt.Sprintf("%s %s: %s", o.Kind, o.What, o.Detail)}
				groups[key] = g
				order = append(order, key)
			}
			g.rows = append(g.rows, row.Design+" "+row.Params.String())
		}
	}
	if len(order) == 0 {
		return
	}
	fmt.Fprintln(w, "\nheld by construction (not checked: they cannot fail), by reason:")
	for _, key := range order {
		g := groups[key]
		fmt.Fprintf(w, "  %s\n    rows: %s\n", g.what, strings.Join(g.rows, "; "))
	}
}

// summary is the verdict line of a result.
func summary(r *Result) string {
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
	}
	switch {
	case r.Interrupted:
		verdict = "INTERRUPTED"
	case r.Passed && computedNothing(r):
		verdict = "PASSED, NOTHING COMPUTED (every outcome holds by construction)"
	}
	s := fmt.Sprintf("gate %s: %s: %d rows, %d failed", r.File, verdict, len(r.Rows), r.Failed)
	if r.Shard != nil {
		s = fmt.Sprintf("gate %s, shard %s (%d of the gate's %d rows): %s: %d failed", r.File, r.Shard.Shard, len(r.Rows), r.Shard.Total, verdict, r.Failed)
	}
	if r.ByConstruction > 0 {
		s += fmt.Sprintf(", %d outcomes held by construction", r.ByConstruction)
	}
	if r.Interrupted {
		s += fmt.Sprintf(", interrupted: %d rows not run", r.NotRun)
	}
	return s
}

// computedNothing reports whether every outcome of r holds by construction.
func computedNothing(r *Result) bool {
	for _, row := range r.Rows {
		if row.Status != StatusByConstruction {
			return false
		}
	}
	return true
}

// WriteJSON writes the result as indented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name       string         `xml:"name,attr"`
	Classname  string         `xml:"classname,attr"`
	Time       float64        `xml:"time,attr"`
	Properties *junitPropList `xml:"properties,omitempty"`
	Failure    *junitFailure  `xml:"failure,omitempty"`
	Skipped    *junitSkipped  `xml:"skipped,omitempty"`
	SystemOut  string         `xml:"system-out,omitempty"`
}

type junitPropList struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// junitCases returns the testcases of a row: one for its computed outcomes
// (a failure when the row failed or was undecided, skipped when it was
// interrupted or not run), and one skipped testcase for its outcomes that
// hold by construction, with the reasons as the message.
func junitCases(row *Row) []junitCase {
	name := row.Design + " " + row.Params.String()
	base := junitCase{Classname: "rcucheck.gate." + row.Check, Time: row.ElapsedSec}
	var cases []junitCase
	var structural, computed []Outcome
	for _, o := range row.Outcomes {
		if o.ByConstruction() {
			structural = append(structural, o)
		} else {
			computed = append(computed, o)
		}
	}
	if len(computed) > 0 || len(row.Outcomes) == 0 {
		c := base
		c.Name = name
		if row.LossNote != "" {
			c.Name += " [" + row.LossNote + "]"
			c.Properties = &junitPropList{Props: []junitProp{{"store", row.Store}, {"omission_probability", fmt.Sprint(row.OmissionProbability)}}}
		}
		c.SystemOut = fmt.Sprintf("status=%s store=%s states=%d transitions=%d max pages=%d pending=%d reserve_used=%d", row.Status, row.Store, row.States, row.Transitions, row.Max.Pages, row.Max.Pending, row.Max.ReserveUsed)
		if row.LossNote != "" {
			c.SystemOut += fmt.Sprintf("\nverdicts rest on a fingerprint store: %s (omission_probability=%g)", row.LossNote, row.OmissionProbability)
		}
		var msgs []string
		var text strings.Builder
		for _, o := range computed {
			if !o.Passed {
				msgs = append(msgs, fmt.Sprintf("%s %s: %s", o.Kind, o.What, o.Detail))
				text.WriteString(outcomeText(o))
			}
		}
		switch row.Status {
		case StatusFail, StatusUndecided:
			c.Failure = &junitFailure{Message: strings.Join(msgs, "; "), Type: row.Status, Text: text.String()}
		case StatusInterrupted:
			c.Skipped = &junitSkipped{Message: "interrupted (Ctrl-C) before it was decided"}
		case StatusNotRun:
			c.Skipped = &junitSkipped{Message: "not run: the gate was interrupted before this row"}
		}
		cases = append(cases, c)
	}
	if len(structural) > 0 {
		c := base
		c.Name = name
		if len(computed) > 0 {
			c.Name += " (by construction)"
		}
		var msgs []string
		for _, o := range structural {
			msgs = append(msgs, fmt.Sprintf("%s %s: %s", o.Kind, o.What, o.Detail))
		}
		c.Skipped = &junitSkipped{Message: strings.Join(msgs, "; ")}
		cases = append(cases, c)
	}
	return cases
}

// WriteJUnit writes the result as JUnit XML: a testsuite per check, a
// testcase per row (see junitCases), the failed outcomes and
// counterexamples in <failure>.
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
		for _, c := range junitCases(row) {
			s.Tests++
			out.Tests++
			if c.Failure != nil {
				s.Failures++
				out.Failures++
			}
			if c.Skipped != nil {
				s.Skipped++
				out.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Time += row.ElapsedSec
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

// CheckOutDir reports, before any work, whether the outputs can be written
// to dir: dir is a writable directory, or does not exist and its parent is
// a writable directory (dir is then created when the outputs are written).
func CheckOutDir(dir string) error { return checkOutDir("--out", dir) }

// checkOutDir is CheckOutDir, its errors naming the directory what.
func checkOutDir(what, dir string) error {
	if err := fileout.CheckDir(dir); err != nil {
		return fmt.Errorf("%s %w", what, err)
	}
	tr := filepath.Join(dir, "traces")
	if fi, err := os.Stat(tr); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s %s: %s is not a directory", what, dir, tr)
	}
	return nil
}

// WriteOutputs writes dir/gate.json, dir/junit.xml and, per row that did
// not pass, dir/traces/rowNNN-DESIGN.txt with its counterexamples. Every
// file is written in full to a temporary file first; only then are the
// trace files of an earlier run removed (so that the directory describes
// this run only) and the new files renamed into place.
func WriteOutputs(dir string, r *Result) error {
	var st fileout.Staged
	err := st.Add(filepath.Join(dir, "gate.json"), func(w io.Writer) error { return WriteJSON(w, r) })
	if err == nil {
		err = st.Add(filepath.Join(dir, "junit.xml"), func(w io.Writer) error { return WriteJUnit(w, r) })
	}
	for i, row := range r.Rows {
		if err != nil {
			break
		}
		if row.Passed || row.Status == StatusNotRun {
			continue
		}
		num := i + 1 // the row's number in the whole gate, also on a shard
		if r.Shard != nil && i < len(r.Shard.Items) {
			num = r.Shard.Items[i]
		}
		name := filepath.Join(dir, "traces", fmt.Sprintf("row%03d-%s.txt", num, safeName(row.Design)))
		err = st.Add(name, func(w io.Writer) error {
			fmt.Fprintf(w, "%s %s\n", row.Status, row.ID())
			for _, o := range row.Outcomes {
				if !o.Passed {
					fmt.Fprintf(w, "\n%s", outcomeText(o))
				}
			}
			return nil
		})
	}
	if err != nil {
		st.Abort()
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "traces", "row*.txt"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			st.Abort()
			return fmt.Errorf("removing an old trace: %w", err)
		}
	}
	return st.Commit()
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '.' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}

// outcomeText renders an outcome that did not pass: its detail, then its
// counterexample or pumping cycle.
func outcomeText(o Outcome) string {
	s := fmt.Sprintf("%s %s: %s\n%s", o.Kind, o.What, o.Detail, FormatTrace(o.Trace))
	if len(o.Witness) > 0 {
		s += "witness: " + strings.Join(o.Witness, ", ") + "\n"
	}
	return s
}
