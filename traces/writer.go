package traces

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/rcucheck/rcucheck/internal/fileout"
)

// Encode writes histories to w in the trace format: for each, its header,
// its records and its end line.
func Encode(w io.Writer, hs ...*History) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, h := range hs {
		hd := h.Header
		hd.Type = "header"
		if hd.Format == "" {
			hd.Format = FormatName
		}
		if hd.Version == 0 {
			hd.Version = FormatVersion
		}
		if hd.Tool == "" {
			hd.Tool = ToolVersion
		}
		if err := enc.Encode(&hd); err != nil {
			return fmt.Errorf("writing trace header: %w", err)
		}
		for i := range h.Records {
			if err := enc.Encode(&h.Records[i]); err != nil {
				return fmt.Errorf("writing trace record %d: %w", i+1, err)
			}
		}
		if err := enc.Encode(endRecord{Type: "end", Records: len(h.Records)}); err != nil {
			return fmt.Errorf("writing trace end: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing trace: %w", err)
	}
	return nil
}

// WriteFile writes histories to path atomically: to a temporary file in the
// same directory, renamed over path once complete. On error path is left
// untouched.
func WriteFile(path string, hs ...*History) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return Encode(w, hs...) })
}

// CheckWritable reports, before any work starts, what would keep
// WriteFileAtomic from writing path: a directory that does not exist or
// does not take a new file, or a directory at path itself. It leaves
// nothing behind.
func CheckWritable(path string) error { return fileout.CheckWritable(path) }

// WriteFileAtomic creates path with the bytes fill writes, through a
// temporary file and a rename, so that no half-written file is ever seen.
// The file gets permissions 0644, whatever the umask.
func WriteFileAtomic(path string, fill func(io.Writer) error) error {
	return fileout.Write(path, fill)
}
