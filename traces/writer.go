package traces

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
func CheckWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("writing %s: it is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return writeError(path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// writeError says why path cannot be written, naming its directory rather
// than the temporary file.
func writeError(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("writing %s: directory %s: %w", path, filepath.Dir(path), pe.Err)
	}
	return fmt.Errorf("writing %s: %w", path, err)
}

// WriteFileAtomic creates path with the bytes fill writes, through a
// temporary file and a rename, so that no half-written file is ever seen.
// The file gets permissions 0644, whatever the umask.
func WriteFileAtomic(path string, fill func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return writeError(path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	ok = true
	return nil
}
