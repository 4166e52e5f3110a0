package traces

import (
	"strings"
	"unsafe"
)

// eventSource hands out a capture's events in order: next returns an
// event valid until the next call, io.EOF at the end; counts gives the
// events handed out and whether the capture said it lost events.
type eventSource interface {
	next() (*kevent, error)
	counts() (events int, lost bool)
}

func (sc *captureScanner) counts() (int, bool) { return sc.events, sc.lost }

// The pipe's batches: a batch ends at pipeBatchEvents events or when its
// buffer has less than pipeBatchSlack bytes left; pipeBatches of them
// circulate between the reading goroutine and the importer.
const (
	pipeBatchEvents = 2048
	pipeBatchBytes  = 512 << 10
	pipeBatchSlack  = 4 << 10
	pipeBatches     = 4
)

// pipeScanner runs a captureScanner on a goroutine of its own (reading
// and parsing lines) so that the importer matches the events on another
// core. It hands out the same events, in the same order, with the same
// error at the same place as the scanner would.
type pipeScanner struct {
	full, free chan *evBatch
	quit       chan struct{}
	cur        *evBatch
	i          int
	events     int
	lost       bool
	err        error
}

// evBatch is a run of parsed events whose strings are views of buf (or,
// for a line that did not fit, of a copy of their own).
type evBatch struct {
	buf    []byte
	evs    []kevent
	n      int
	err    error // what ended the capture after evs[:n] (io.EOF at its end)
	lostAt int   // the index of the event after which the scanner knew of lost events, n if not in this batch
	lost   bool  // the scanner's lost after the batch
}

// newPipeScanner starts reading sc on a goroutine; stop ends it.
func newPipeScanner(sc *captureScanner) *pipeScanner {
	p := &pipeScanner{full: make(chan *evBatch, pipeBatches), free: make(chan *evBatch, pipeBatches), quit: make(chan struct{})}
	for range pipeBatches {
		p.free <- &evBatch{buf: make([]byte, 0, pipeBatchBytes), evs: make([]kevent, pipeBatchEvents)}
	}
	go p.run(sc)
	return p
}

// stop ends the reading goroutine (once it returns from its current read).
func (p *pipeScanner) stop() { close(p.quit) }

func (p *pipeScanner) run(sc *captureScanner) {
	for {
		var b *evBatch
		select {
		case b = <-p.free:
		case <-p.quit:
			return
		}
		b.fill(sc)
		select {
		case p.full <- b:
		case <-p.quit:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// fill reads events from sc into b until b is full or the capture ends.
func (b *evBatch) fill(sc *captureScanner) {
	b.buf, b.n, b.err, b.lostAt = b.buf[:0], 0, nil, -1
	was := sc.lost
	for b.n < len(b.evs) && cap(b.buf)-len(b.buf) >= pipeBatchSlack {
		e, err := sc.next()
		if err != nil {
			b.err = err
			break
		}
		if !was && sc.lost {
			b.lostAt, was = b.n, true
		}
		b.keep(e)
	}
	if b.lostAt < 0 {
		b.lostAt = b.n
	}
	b.lost = sc.lost
}

// keep copies e, whose strings are views of e.raw, into the next slot.
func (b *evBatch) keep(e *kevent) {
	d := &b.evs[b.n]
	b.n++
	raw, own := e.raw, ""
	if len(raw) <= cap(b.buf)-len(b.buf) {
		start := len(b.buf)
		b.buf = append(b.buf, raw...) // within capacity: earlier views stay valid
		own = view(b.buf[start:])
	} else {
		own = strings.Clone(raw)
	}
	args := d.args[:0]
	for _, a := range e.args {
		args = append(args, karg{k: rebase(a.k, raw, own), v: rebase(a.v, raw, own), multi: a.multi})
	}
	*d = kevent{line: e.line, comm: rebase(e.comm, raw, own), pid: e.pid, cpu: e.cpu, ts: e.ts,
		name: rebase(e.name, raw, own), site: rebase(e.site, raw, own), args: args, raw: own}
}

// rebase returns s, when it is a substring of from, as the same substring
// of to (a copy of from); any other s (its own allocation) as it is.
func rebase(s, from, to string) string {
	if len(s) == 0 {
		return ""
	}
	ps, pf := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(from)))
	if ps < pf || ps+uintptr(len(s)) > pf+uintptr(len(from)) {
		return s
	}
	off := int(ps - pf)
	return to[off : off+len(s)]
}

// next returns the next event, valid until the next call.
func (p *pipeScanner) next() (*kevent, error) {
	for p.cur == nil || p.i == p.cur.n {
		if p.err != nil {
			return nil, p.err
		}
		if p.cur != nil {
			if p.cur.err != nil {
				p.err, p.lost = p.cur.err, p.cur.lost
				return nil, p.err
			}
			p.free <- p.cur // never blocks: there are pipeBatches batches
		}
		p.cur, p.i = <-p.full, 0
	}
	e := &p.cur.evs[p.i]
	if p.i >= p.cur.lostAt && p.cur.lostAt < p.cur.n {
		p.lost = true
	}
	p.i++
	p.events++
	return e, nil
}

func (p *pipeScanner) counts() (int, bool) { return p.events, p.lost }
