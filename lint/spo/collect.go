package spo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/secprof/secprof/lint"
)

// Bounds on what CollectProfiles reads.
const (
	maxCollected      = 10000
	maxCollectedBytes = 256 << 20
)

// CollectProfiles returns the SeccompProfile files under dirs (recursively,
// hidden directories skipped), as files of the workspace root: paths are
// reported relative to it, and nothing outside it is read, links included.
func CollectProfiles(root string, dirs []string) ([]*lint.File, error) {
	var out []*lint.File
	seen := map[string]bool{}
	total := 0
	for _, dir := range dirs {
		if _, err := lint.Confine(root, dir); err != nil {
			return nil, fmt.Errorf("%s: %v", dir, err)
		}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == dir {
					return err
				}
				return nil
			}
			if d.IsDir() {
				if p != dir && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if len(out) >= maxCollected || total >= maxCollectedBytes {
				return filepath.SkipAll
			}
			rel, err := lint.Confine(root, p)
			if err != nil || seen[rel] {
				return nil
			}
			seen[rel] = true
			b, err := readBounded(p)
			if err != nil || lint.IsBinary(b) {
				return nil
			}
			total += len(b)
			f := &lint.File{Path: rel, Abs: p, Content: b}
			if IsSeccompProfileObject(f) {
				out = append(out, f)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadFile reads one input file of the workspace (at most
// lint.MaxFileSize bytes).
func ReadFile(root, path string) (*lint.File, error) {
	rel, err := lint.Confine(root, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	b, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &lint.File{Path: rel, Abs: path, Content: b}, nil
}

func readBounded(p string) ([]byte, error) {
	fh, err := os.Open(p)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > lint.MaxFileSize {
		return nil, fmt.Errorf("file is %d bytes, more than the %d a profile may have", st.Size(), lint.MaxFileSize)
	}
	return io.ReadAll(io.LimitReader(fh, lint.MaxFileSize))
}
