package checker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
)

// diskBuf is the size of the buffer of each file a disk run reads or writes.
const diskBuf = 128 << 10

// diskTuning holds what a test of a disk run may change.
type diskTuning struct {
	runBytes  uint64 // the in-memory run of candidates takes at most this (0: from the memory cap)
	failAfter uint64 // writes fail once this many bytes are written (0: never), as on a full disk
}

// diskFiles are the files of a disk run, all in a directory of their own,
// and what they take on disk.
type diskFiles struct {
	dir     string
	tune    diskTuning
	seq     int           // names files
	size    atomic.Int64  // bytes of the files now
	peak    atomic.Uint64 // most bytes at once
	written atomic.Uint64 // bytes written
}

// diskFile is a file of a disk run, written sequentially through a buffer
// (or by regions, regionWriter) and read back by sections.
type diskFile struct {
	d    *diskFiles
	f    *os.File
	w    *bufio.Writer
	end  int64        // the end of what the buffer wrote
	n    atomic.Int64 // bytes written
	name string
}

// create makes a new file of the run, of about size bytes (0: unknown).
func (d *diskFiles) create(what string, size int64) (*diskFile, error) {
	d.seq++
	name := filepath.Join(d.dir, fmt.Sprintf("%s-%d", what, d.seq))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("disk run: %w", err)
	}
	df := &diskFile{d: d, f: f, name: name}
	df.w = bufio.NewWriterSize(appender{df}, bufSize(size))
	return df, nil
}

// writeAt writes p at off, counting the bytes; it fails as a full disk
// once diskTuning.failAfter bytes are written.
func (f *diskFile) writeAt(p []byte, off int64) (int, error) {
	d := f.d
	if lim := d.tune.failAfter; lim > 0 && d.written.Load()+uint64(len(p)) > lim {
		return 0, &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
	}
	n, err := f.f.WriteAt(p, off)
	f.n.Add(int64(n))
	d.written.Add(uint64(n))
	now := uint64(d.size.Add(int64(n)))
	for p := d.peak.Load(); now > p && !d.peak.CompareAndSwap(p, now); p = d.peak.Load() {
	}
	if err != nil {
		return n, fmt.Errorf("disk run: %w", err)
	}
	return n, nil
}

// appender writes at the end of a file.
type appender struct{ f *diskFile }

func (a appender) Write(p []byte) (int, error) {
	n, err := a.f.writeAt(p, a.f.end)
	a.f.end += int64(n)
	return n, err
}

// regionWriter writes a file from off on; regions of a file that do not
// overlap may be written concurrently.
type regionWriter struct {
	f   *diskFile
	off int64
}

func (r *regionWriter) Write(p []byte) (int, error) {
	n, err := r.f.writeAt(p, r.off)
	r.off += int64(n)
	return n, err
}

// Write writes p at the end of the file, through its buffer.
func (f *diskFile) Write(p []byte) (int, error) { return f.w.Write(p) }

// flush writes the buffer out, so that the file may be read.
func (f *diskFile) flush() error { return f.w.Flush() }

// finish flushes the file, which is written no more, and drops its buffer.
func (f *diskFile) finish() error {
	err := f.w.Flush()
	f.w = nil
	return err
}

// len is the length of the file written by Write, once flushed.
func (f *diskFile) len() int64 { return f.end }

// reader reads the bytes from off to end of the flushed file.
func (f *diskFile) reader(off, end int64) *bufio.Reader {
	return bufio.NewReaderSize(io.NewSectionReader(f.f, off, end-off), bufSize(end-off))
}

// bufSize is the buffer for size bytes (0: unknown).
func bufSize(size int64) int {
	if size <= 0 {
		return diskBuf
	}
	return int(min(diskBuf, max(16, size)))
}

// remove deletes the file.
func (f *diskFile) remove() {
	if f == nil {
		return
	}
	// The directory is removed at the end anyway: an error here only
	// leaves the bytes a little longer.
	_ = f.f.Close()
	_ = os.Remove(f.name)
	f.d.size.Add(-f.n.Load())
}

// used is the bytes the run's files take now (0 without a disk run).
func (d *diskRun) used() uint64 {
	if d == nil {
		return 0
	}
	return uint64(max(0, d.files.size.Load()))
}
