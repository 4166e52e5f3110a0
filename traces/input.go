package traces

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// gzipMagic starts every gzip stream.
const gzipMagic = "\x1f\x8b"

// Stdin is the path that names the standard input.
const Stdin = "-"

// input is a file (or the standard input) opened for reading, through
// gzip when it starts with gzip's magic bytes, whatever its name.
type input struct {
	f    *os.File
	r    *bufio.Reader // the decompressed bytes
	gz   bool
	name string // path, or "standard input"
}

// openInput opens path for reading ("-": the standard input). A gzipped
// stream is decompressed; an error of its gzip stream (damaged, cut short)
// says so.
func openInput(path string) (*input, error) {
	f, name := os.Stdin, "standard input"
	if path != Stdin {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, err
		}
		name = path
	}
	br := bufio.NewReaderSize(f, 64<<10)
	in := &input{f: f, r: br, name: name}
	if head, _ := br.Peek(len(gzipMagic)); string(head) == gzipMagic {
		zr, err := gzip.NewReader(br)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("%s: damaged gzip header: %w", name, err)
		}
		in.r, in.gz = bufio.NewReaderSize(gzipErrors{zr}, 64<<10), true
	}
	return in, nil
}

func (in *input) Read(p []byte) (int, error) { return in.r.Read(p) }

// Close closes the file (never the standard input).
func (in *input) Close() error {
	if in.f == os.Stdin {
		return nil
	}
	return in.f.Close()
}

// kind says what the input holds, from its first bytes: KindFtrace (text
// starting with "# tracer:") or KindJSONL. It consumes nothing.
func (in *input) kind() (string, error) {
	head, err := in.r.Peek(len("# tracer:"))
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return "", fmt.Errorf("%s: line 1: %w", in.name, err)
	}
	if string(head) == "# tracer:" {
		return KindFtrace, nil
	}
	return KindJSONL, nil
}

// gzipErrors names gzip's errors for what they mean to a user.
type gzipErrors struct{ r io.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("the gzip data is cut short (unexpected end of the compressed stream): %w", err)
		} else {
			err = fmt.Errorf("the gzip data is damaged: %w", err)
		}
	}
	return n, err
}

// ctxReader reads r in a goroutine of its own, so that a read blocked on a
// pipe or a live kernel's trace_pipe ends when ctx is cancelled (as
// io.EOF: what was read is judged).
type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	buf     []byte
	res     chan readResult
	pending bool
}

type readResult struct {
	n   int
	err error
}

// interruptible returns r as a reader that ends when ctx is cancelled.
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r, buf: make([]byte, 64<<10), res: make(chan readResult, 1)}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, io.EOF
	}
	if !c.pending {
		c.pending = true
		go func(b []byte) {
			n, err := c.r.Read(b)
			c.res <- readResult{n, err}
		}(c.buf[:min(len(p), len(c.buf))])
	}
	select {
	case res := <-c.res:
		c.pending = false
		copy(p, c.buf[:res.n])
		return res.n, res.err
	case <-c.ctx.Done():
		return 0, io.EOF
	}
}
