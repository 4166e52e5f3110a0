// Package gztest reads gzipped test inputs, such as the kernel captures of
// ../shared/data/kernel-traces, for the tests of several packages.
package gztest

import (
	"compress/gzip"
	"io"
	"os"
	"testing"
)

// Read returns the uncompressed contents of the gzipped file at path, and
// fails t if it cannot.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}
