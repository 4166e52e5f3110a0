// Package fileout is the one place where rcucheck writes files: what would
// keep a file from being written is found before the work starts
// (CheckWritable, CheckDir), and every file is written to a temporary file
// in its own directory and renamed into place once whole (Write, Staged),
// with mode Mode whatever the umask. A reader never sees half a file, and a
// failed write leaves the old file as it was and no temporary file behind.
package fileout

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Mode is the permission of every file rcucheck writes.
const Mode = 0o644

// CheckWritable reports, before any work starts, what would keep Write
// from writing path: a directory that does not exist or does not take a new
// file, or a directory at path itself. It leaves nothing behind.
func CheckWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("writing %s: it is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: directory %s: %w", path, filepath.Dir(path), PathErr(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// CheckDir reports, before any work, whether files can be written in dir:
// dir is a writable directory, or does not exist and its parent is a
// writable directory (Staged.Add creates dir). It leaves nothing behind.
func CheckDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("%s: not a directory", dir)
	case err == nil:
		return probe(dir)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", dir, PathErr(err))
	}
	parent := filepath.Dir(dir)
	fi, err = os.Stat(parent)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: the directory %s does not exist", dir, parent)
	case err != nil:
		return fmt.Errorf("%s: %w", dir, PathErr(err))
	case !fi.IsDir():
		return fmt.Errorf("%s: %s is not a directory", dir, parent)
	}
	return probe(parent)
}

// probe checks that a file can be created in dir.
func probe(dir string) error {
	f, err := os.CreateTemp(dir, ".rcucheck-probe*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, PathErr(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// PathErr drops the operation and path an fs.PathError repeats.
func PathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Write creates path with the bytes write writes, through a temporary file
// in the same directory and a rename, mode Mode. On error path is left
// untouched and no temporary file remains.
func Write(path string, write func(io.Writer) error) error {
	var st Staged
	if err := st.add(path, write, false); err != nil {
		st.Abort()
		return err
	}
	return st.Commit()
}

// Staged is a set of files written to temporary files first and renamed
// into place only once all are written: a failure leaves the old files as
// they were and no temporary file behind. The zero value is ready to use.
type Staged struct {
	tmp, final []string
}

// Add writes a temporary file for path with write, mode Mode, creating
// path's directory when it does not exist.
func (st *Staged) Add(path string, write func(io.Writer) error) error {
	return st.add(path, write, true)
}

// add is Add; mkdir says whether path's directory is created.
func (st *Staged) add(path string, write func(io.Writer) error, mkdir bool) error {
	dir := filepath.Dir(path)
	if mkdir {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: directory %s: %w", path, dir, PathErr(err))
	}
	st.tmp, st.final = append(st.tmp, tmp.Name()), append(st.final, path)
	err = write(tmp)
	if err == nil {
		err = tmp.Chmod(Mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Abort removes the temporary files.
func (st *Staged) Abort() {
	for _, t := range st.tmp {
		os.Remove(t)
	}
	st.tmp, st.final = nil, nil
}

// Commit renames every temporary file into place.
func (st *Staged) Commit() error {
	for i, t := range st.tmp {
		if err := os.Rename(t, st.final[i]); err != nil {
			st.tmp = st.tmp[i:]
			st.Abort()
			return fmt.Errorf("writing %s: %w", st.final[i], err)
		}
	}
	st.tmp, st.final = nil, nil
	return nil
}
