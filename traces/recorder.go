package traces

import (
	"sync"
	"time"
)

// Recorder records the operations of a concrete reclaim implementation as
// a history, for instance from instrumented test code. It is safe for
// concurrent use; times are nanoseconds on the monotonic clock since
// NewRecorder.
type Recorder struct {
	mu    sync.Mutex
	start time.Time
	h     History
	open  map[int64]int // id -> record index, while pending
}

// Call is an operation that has begun; End records its return.
type Call struct {
	r  *Recorder
	id int64
}

// NewRecorder returns a recorder whose history carries label.
func NewRecorder(label string) *Recorder {
	h := History{Header: NewHeader(SourceRecorder, UnitNS)}
	h.Header.Label = label
	return &Recorder{start: time.Now(), h: h, open: map[int64]int{}}
}

func (r *Recorder) begin(rec Record) *Call {
	t := int64(time.Since(r.start))
	r.mu.Lock()
	defer r.mu.Unlock()
	rec.Type = "op"
	rec.ID = int64(len(r.h.Records) + 1)
	rec.Call = i64(t)
	r.h.Records = append(r.h.Records, rec)
	r.open[rec.ID] = len(r.h.Records) - 1
	return &Call{r: r, id: rec.ID}
}

// End records the operation's return. Calling it twice has no effect.
func (c *Call) End() {
	t := int64(time.Since(c.r.start))
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if i, ok := c.r.open[c.id]; ok {
		c.r.h.Records[i].Return = i64(t)
		c.r.h.Records[i].Result = "ok"
		delete(c.r.open, c.id)
	}
}

// Free begins free(obj) on client.
func (r *Recorder) Free(client int, obj string) *Call {
	return r.begin(Record{Op: OpFree, Client: client, Obj: obj})
}

// Reclaim begins reclaim(obj) on client (a worker, or the freeing caller).
func (r *Recorder) Reclaim(client int, obj string) *Call {
	return r.begin(Record{Op: OpReclaim, Client: client, Obj: obj})
}

// ReadLock begins the read section named section on client.
func (r *Recorder) ReadLock(client int, section string) *Call {
	return r.begin(Record{Op: OpReadLock, Client: client, Section: section})
}

// ReadUnlock begins the end of the read section named section.
func (r *Recorder) ReadUnlock(client int, section string) *Call {
	return r.begin(Record{Op: OpReadUnlock, Client: client, Section: section})
}

// GPStart begins the start of grace period gp.
func (r *Recorder) GPStart(client int, gp int64) *Call {
	return r.begin(Record{Op: OpGPStart, Client: client, GP: i64(gp)})
}

// GPEnd begins the end of grace period gp.
func (r *Recorder) GPEnd(client int, gp int64) *Call {
	return r.begin(Record{Op: OpGPEnd, Client: client, GP: i64(gp)})
}

// History returns a copy of what was recorded so far; operations not yet
// ended are pending.
func (r *Recorder) History() *History {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &History{Header: r.h.Header, Records: append([]Record(nil), r.h.Records...)}
	for _, i := range r.open {
		h.Records[i].Pending = true
	}
	return h
}

// WriteFile writes the history recorded so far to path atomically.
func (r *Recorder) WriteFile(path string) error { return WriteFile(path, r.History()) }
