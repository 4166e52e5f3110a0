package traces

import (
	"context"
	"fmt"
	"io"
	"time"
)

// StreamOptions tune CheckStream.
type StreamOptions struct {
	// Check is the options of every history's check; its Window and
	// Timeout are set per history from Window and Deadline.
	Check CheckOptions
	// Window gives the uncertainty window of a history in unit.
	Window func(unit string) (int64, error)
	// Deadline, when not zero, stops every check (verdict unknown).
	Deadline time.Time
	// Progress, when set, gives the progress report of history i (from 1).
	Progress func(i int) func(CheckProgress)
}

// CheckStream reads a trace (JSON Lines) from r and judges each history
// as it reads it: each object's partition once no record to come can meet
// it (records may come out of time order by a little: one later than a
// judged partition makes the verdict unknown, never wrong), in memory
// bounded by what is open at once plus a few bytes per record id, read
// section and grace period. A bad trace is an error naming the line.
func CheckStream(ctx context.Context, r io.Reader, opt StreamOptions) ([]*Result, error) {
	ls := &linSink{ctx: ctx, opt: opt}
	rd := reading{stream: ls}
	err := rd.read(r)
	if ls.s != nil {
		ls.s.abort() // a history cut short
	}
	if err != nil {
		return nil, err
	}
	return ls.out, nil
}

// CheckStreamFile is CheckStream on a file, gzipped or not ("-": the
// standard input), or ImportFtraceStream when it holds an ftrace capture
// (its first line starts with "# tracer:"): the Import is then returned
// too.
func CheckStreamFile(ctx context.Context, path string, opt StreamOptions, iopt ImportOptions) ([]*Result, *Import, error) {
	in, err := openInput(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading trace: %w", err)
	}
	defer in.Close()
	kind, err := in.kind()
	if err != nil {
		return nil, nil, err
	}
	if kind == KindFtrace {
		co := opt.Check
		if co.Window, err = opt.Window(UnitNS); err != nil {
			return nil, nil, err
		}
		if !opt.Deadline.IsZero() {
			co.Timeout = max(time.Until(opt.Deadline), time.Nanosecond)
		}
		if opt.Progress != nil {
			co.Progress = opt.Progress(1)
		}
		imp, res, err := ImportFtraceStream(ctx, in, iopt, co)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", in.name, err)
		}
		imp.File = in.name
		return []*Result{res}, imp, nil
	}
	res, err := CheckStream(ctx, in, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", in.name, err)
	}
	return res, nil, nil
}

// linSink judges the histories of a trace as reading hands them on.
type linSink struct {
	ctx context.Context
	opt StreamOptions
	hd  *Header
	s   *streamer
	out []*Result
}

func (ls *linSink) header(h *Header) error {
	w, err := ls.opt.Window(h.TimeUnit)
	if err != nil {
		return err
	}
	co := ls.opt.Check
	co.Window = w
	if !ls.opt.Deadline.IsZero() {
		if co.Timeout = time.Until(ls.opt.Deadline); co.Timeout <= 0 {
			co.Timeout = time.Nanosecond
		}
	}
	if ls.opt.Progress != nil {
		co.Progress = ls.opt.Progress(len(ls.out) + 1)
	}
	ls.hd, ls.s = h, newStreamer(ls.ctx, co, h.TimeUnit, false)
	return nil
}

func (ls *linSink) record(r *Record) error {
	if r.Type != "op" {
		return nil
	}
	ls.s.res.Operations++
	var buf [2]cop
	for _, op := range recordCops(buf[:0], r, ls.s.opt.Window) {
		ls.s.add(op)
	}
	return nil
}

func (ls *linSink) end(forgotSecs, forgotGPs int) error {
	res := ls.s.finish()
	ls.s = nil
	res.ForgottenSections, res.ForgottenGPs = forgotSecs, forgotGPs
	res.addLoss(forgotSecs, fmt.Sprintf("%d ended read sections forgotten: a later section of the same name counts as a new one", forgotSecs))
	res.addLoss(forgotGPs, fmt.Sprintf("%d grace periods forgotten: a later gp_start or gp_end of the same number counts as a new one", forgotGPs))
	res.Label, res.Design, res.Expected = ls.hd.Label, ls.hd.Design, ls.hd.Expected
	ls.out = append(ls.out, res)
	return nil
}
