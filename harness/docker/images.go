package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// pullTimeout bounds pulling one workload image.
const pullTimeout = 5 * time.Minute

// ImageError is a workload image the engine does not have and cannot get:
// an infrastructure error of the case, never a verdict.
type ImageError struct {
	Image, Host string
	// Pull is why pulling failed ("" when pulling is off).
	Pull string
}

func (e *ImageError) Error() string {
	how := "pulling is off (docker.pull: never)"
	if e.Pull != "" {
		how = "it could not be pulled: " + e.Pull
	}
	return fmt.Sprintf("image %s is not on the Docker engine at %s and %s; build it locally (docker import or docker build; the fixture images: hack/build-images.sh) or let the plan build it (images:)", e.Image, e.Host, how)
}

// imageCache resolves each workload image once per run.
type imageCache struct {
	mu sync.Mutex
	m  map[string]*imageEntry
}

type imageEntry struct {
	mu   sync.Mutex
	done bool
	ref  string
	err  error
}

func (c *imageCache) entry(name string) *imageEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*imageEntry{}
	}
	e := c.m[name]
	if e == nil {
		e = &imageEntry{}
		c.m[name] = e
	}
	return e
}

// image returns the reference to run for a workload's image: the plan's
// own build wrapped into an image, or the image as named once it is on
// the engine.
func (b *Backend) image(ctx context.Context, name string) (string, error) {
	e := b.images.entry(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return e.ref, e.err
	}
	var ref string
	var err error
	if _, ok := b.plan.Images[name]; ok {
		ref, err = b.wrap(ctx, name)
	} else {
		ref, err = b.present(ctx, name)
	}
	if err != nil && ctx.Err() != nil {
		return "", err // not cached: another case may still get it
	}
	e.done, e.ref, e.err = true, ref, err
	return ref, err
}

// present makes sure the engine has name, pulling it when allowed.
func (b *Backend) present(ctx context.Context, name string) (string, error) {
	if _, err := b.cli.ImageInspect(ctx, name); err == nil {
		return name, nil
	} else if !isNotFound(err) {
		return "", fmt.Errorf("inspecting image %s: %w", name, err)
	}
	if b.opts.Pull == "never" {
		return "", &ImageError{Image: name, Host: b.host}
	}
	b.logf("docker: pulling %s", name)
	pctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	if err := pullImage(pctx, b.cli, name); err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return "", &ImageError{Image: name, Host: b.host, Pull: firstLine(err)}
	}
	return name, nil
}

type puller interface {
	ImagePull(ctx context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error)
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
}

// pullImage pulls ref; errors the engine reports in the progress stream
// count as failures too.
func pullImage(ctx context.Context, cli puller, ref string) error {
	rc, err := cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := streamError(rc); err != nil {
		return err
	}
	_, err = cli.ImageInspect(ctx, ref)
	return err
}

// streamError reads a JSON progress stream (pull, import) and returns the
// first error it carries.
func streamError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

// wrapFormat changes when the layout of wrapped images changes.
const wrapFormat = "secprof-wrap-1"

// wrap turns a plan image (a static Go binary the harness builds) into an
// image on the engine, the way hack/build-images.sh does it: `docker
// import` of a tar holding the binary at its path, /tmp, /etc/passwd and,
// when this machine has a static busybox, busybox with its applets in
// /bin so that exec checks find sh, touch, cat. The tag is the content's
// hash, so a later run with the same binary reuses the image.
func (b *Backend) wrap(ctx context.Context, name string) (string, error) {
	img := b.plan.Images[name]
	if b.cfg.Builds == nil {
		return "", fmt.Errorf("image %s: the plan builds it, but no builder was given", name)
	}
	bin, err := b.cfg.Builds.Binary(ctx, name)
	if err != nil {
		return "", fmt.Errorf("building image %s: %w", name, err)
	}
	bb := staticBusybox()
	files := []tarFile{{name: img.Binary, src: bin, mode: 0o755}}
	if bb.path != "" {
		files = append(files, tarFile{name: "/bin/busybox", src: bb.path, mode: 0o755})
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%q\n%q\n", wrapFormat, img.Entrypoint, bb.applets)
	for _, f := range files {
		if err := hashFile(h, f.name, f.src); err != nil {
			return "", err
		}
	}
	ref := "secprof-build/" + repoName(name) + ":" + hex.EncodeToString(h.Sum(nil))[:16]
	if _, err := b.cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	}
	var buf bytes.Buffer
	if err := writeRoot(&buf, files, bb.applets, img.Binary); err != nil {
		return "", err
	}
	ep, _ := json.Marshal(img.Entrypoint)
	rc, err := b.cli.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, ref, image.ImportOptions{
		Changes: []string{"ENTRYPOINT " + string(ep), "LABEL " + LabelBuild + "=" + strings.ReplaceAll(name, " ", "_")},
		Message: "built by secprof from the plan's images: " + name,
	})
	if err != nil {
		return "", fmt.Errorf("importing image %s: %w", ref, err)
	}
	defer rc.Close()
	if err := streamError(rc); err != nil {
		return "", fmt.Errorf("importing image %s: %w", ref, err)
	}
	b.logf("docker: built image %s for %s", ref, name)
	return ref, nil
}

var repoUnsafe = regexp.MustCompile(`[^a-z0-9]+`)

// repoName turns any image name into a valid repository path component.
func repoName(name string) string {
	s := strings.Trim(repoUnsafe.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if s == "" || len(s) > 100 {
		sum := sha256.Sum256([]byte(name))
		return "image-" + hex.EncodeToString(sum[:6])
	}
	return s
}

type tarFile struct {
	name string // absolute path in the image
	src  string // file on this machine
	mode int64
}

func hashFile(h io.Writer, name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h, "%s\n", name)
	_, err = io.Copy(h, f)
	return err
}

// writeRoot writes the image's root file system as a tar.
func writeRoot(w io.Writer, files []tarFile, applets []string, binary string) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	mkdir := func(d string, mode int64) error {
		if d == "/" || d == "." || dirs[d] {
			return nil
		}
		dirs[d] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: mode, ModTime: time.Unix(0, 0)})
	}
	for _, d := range []string{"/bin", "/etc", "/proc", "/sys", "/dev", "/root"} {
		if err := mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := mkdir("/tmp", 0o1777); err != nil {
		return err
	}
	for _, f := range []struct{ name, content string }{
		{"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"},
		{"/etc/group", "root:x:0:\nnobody:x:65534:\n"},
	} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.name, "/"), Mode: 0o644, Size: int64(len(f.content)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := io.WriteString(tw, f.content); err != nil {
			return err
		}
	}
	for _, f := range files {
		var parents []string
		for d := path.Dir(f.name); d != "/" && d != "."; d = path.Dir(d) {
			parents = append(parents, d)
		}
		for i := len(parents) - 1; i >= 0; i-- {
			if err := mkdir(parents[i], 0o755); err != nil {
				return err
			}
		}
		if err := addFile(tw, f); err != nil {
			return err
		}
	}
	for _, a := range applets {
		p := "/bin/" + a
		if a == "busybox" || p == binary {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: strings.TrimPrefix(p, "/"), Linkname: "busybox", Mode: 0o777, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addFile(tw *tar.Writer, f tarFile) error {
	in, err := os.Open(f.src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.name, "/"), Mode: f.mode, Size: st.Size(), ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	_, err = io.Copy(tw, in)
	return err
}

// busybox is a static busybox on this machine and its applets.
type busybox struct {
	path    string
	applets []string
}

var (
	busyboxOnce sync.Once
	busyboxHost busybox
)

// busyboxPaths are where Debian's busybox-static puts it.
var busyboxPaths = []string{"/bin/busybox", "/usr/bin/busybox"}

func staticBusybox() busybox {
	busyboxOnce.Do(func() {
		for _, p := range busyboxPaths {
			if !isStatic(p) {
				continue
			}
			out, err := exec.Command(p, "--list").Output()
			if err != nil {
				continue
			}
			var applets []string
			for _, a := range strings.Fields(string(out)) {
				if !strings.ContainsAny(a, "/.") {
					applets = append(applets, a)
				}
			}
			sort.Strings(applets)
			busyboxHost = busybox{path: p, applets: applets}
			return
		}
	})
	return busyboxHost
}

// isStatic reports whether p is an ELF executable without an interpreter,
// i.e. one that runs in an image without libc.
func isStatic(p string) bool {
	f, err := elf.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false
		}
	}
	return f.Type == elf.ET_EXEC || f.Type == elf.ET_DYN
}
