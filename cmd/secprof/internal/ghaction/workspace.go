package ghaction

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/secprof/secprof/lint"
)

// Workspace returns the workspace root, absolute with symbolic links
// resolved: ws (GITHUB_WORKSPACE), or the working directory when ws is
// empty (a run outside GitHub, e.g. `make verify`).
func Workspace(ws string) (string, error) {
	if ws == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		ws = wd
	}
	abs, err := filepath.Abs(ws)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("workspace %s: %w", ws, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return "", fmt.Errorf("workspace %s is not a directory", ws)
	}
	return real, nil
}

// WorkDir resolves dir (the working-directory input, relative to the
// workspace root ws; "" means ws itself) and checks that it stays inside
// the workspace, symbolic links included.
func WorkDir(ws, dir string) (string, error) {
	p := dir
	if !filepath.IsAbs(p) {
		p = filepath.Join(ws, p)
	}
	if _, err := lint.Confine(ws, p); err != nil {
		return "", fmt.Errorf("working-directory %q: %w", dir, ErrNotInWorkspace)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("working-directory %q: %w", dir, unwrap(err))
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("working-directory %q: %w", dir, unwrap(err))
	}
	if !st.IsDir() {
		return "", fmt.Errorf("working-directory %q is not a directory", dir)
	}
	return real, nil
}

// InWorkspace checks that the file p (relative to the working directory)
// is inside the workspace ws, symbolic links included. Missing files pass:
// whoever opens them reports that.
func InWorkspace(ws, p, what string) error {
	if _, err := lint.Confine(ws, p); err != nil {
		return fmt.Errorf("%s %q: %w", what, p, ErrNotInWorkspace)
	}
	return nil
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
