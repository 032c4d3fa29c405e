package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Builds builds the plan's images (static Go binaries) at most once per
// run and removes them afterwards. Backends share it: local runs the
// binary, docker and kind put it into an image.
type Builds struct {
	plan *Plan
	dir  string
	mu   sync.Mutex
	done map[string]*build
}

type build struct {
	once sync.Once
	path string
	err  error
}

// NewBuilds returns a builder writing into a fresh temporary directory.
func NewBuilds(p *Plan) (*Builds, error) {
	dir, err := os.MkdirTemp("", "secprof-builds-")
	if err != nil {
		return nil, err
	}
	return &Builds{plan: p, dir: dir, done: map[string]*build{}}, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Binary builds image name (an entry of the plan's images) with
// CGO_ENABLED=0 and returns the binary's path on this machine.
func (b *Builds) Binary(ctx context.Context, name string) (string, error) {
	img, ok := b.plan.Images[name]
	if !ok {
		return "", fmt.Errorf("image %q is not in the plan's images", name)
	}
	b.mu.Lock()
	bd := b.done[name]
	if bd == nil {
		bd = &build{}
		b.done[name] = bd
	}
	b.mu.Unlock()
	bd.once.Do(func() {
		out := filepath.Join(b.dir, unsafeName.ReplaceAllString(name, "_"))
		bd.path, bd.err = GoBuild(ctx, img.Build, out)
	})
	return bd.path, bd.err
}

// GoBuild builds the Go package in dir into out as a static binary.
func GoBuild(ctx context.Context, dir, out string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building %s needs the go command: %w", dir, err)
	}
	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Close removes the built binaries.
func (b *Builds) Close() error {
	if b == nil || b.dir == "" {
		return nil
	}
	return os.RemoveAll(b.dir)
}
