package traces

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// gzipMagic starts every gzip stream.
const gzipMagic = "\x1f\x8b"

// input is a file opened for reading, through gzip when it starts with
// gzip's magic bytes, whatever its name.
type input struct {
	f  *os.File
	r  io.Reader
	gz bool
}

// openInput opens path for reading. A gzipped file is decompressed; an
// error of its gzip stream (damaged, cut short) says so.
func openInput(path string) (*input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	in := &input{f: f, r: br}
	if head, _ := br.Peek(len(gzipMagic)); string(head) == gzipMagic {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: damaged gzip header: %w", path, err)
		}
		in.r, in.gz = gzipErrors{zr}, true
	}
	return in, nil
}

func (in *input) Read(p []byte) (int, error) { return in.r.Read(p) }

func (in *input) Close() error { return in.f.Close() }

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
