package kind

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/kube"
)

// imageFile is one file of an image the backend builds.
type imageFile struct {
	src  string // on this machine
	dest string // absolute, in the image
}

// imageSpec is an image built from plan-built binaries.
type imageSpec struct {
	name       string
	files      []imageFile
	entrypoint []string
}

// planImage is the image the backend builds for a plan image: its binary,
// plus the plan's probe binary so that probe checks run in every
// workload, on a filesystem with /tmp.
func (b *Backend) planImage(ctx context.Context, name string) (*imageSpec, error) {
	img := b.plan.Images[name]
	bin, err := b.cfg.Builds.Binary(ctx, name)
	if err != nil {
		return nil, err
	}
	s := &imageSpec{name: name, entrypoint: img.Entrypoint, files: []imageFile{{bin, img.Binary}}}
	if pn := b.plan.Probe; pn != "" && pn != name {
		pimg := b.plan.Images[pn]
		if pimg.Binary != img.Binary {
			pbin, err := b.cfg.Builds.Binary(ctx, pn)
			if err != nil {
				return nil, err
			}
			s.files = append(s.files, imageFile{pbin, pimg.Binary})
		}
	}
	return s, nil
}

// writeImageArchive writes s as a docker image archive (what `docker save`
// writes and `ctr images import` reads): one layer with the files and an
// empty /tmp.
func writeImageArchive(w io.Writer, s *imageSpec, tmpDir string) error {
	layer, err := os.CreateTemp(tmpDir, "layer-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(layer.Name())
	defer layer.Close()
	h := sha256.New()
	lt := tar.NewWriter(io.MultiWriter(layer, h))
	// A fixed time keeps the image's digest a function of its content.
	mtime := time.Unix(0, 0).UTC()
	dirs := map[string]bool{}
	addDir := func(d string, mode int64) error {
		if d == "." || d == "/" || d == "" || dirs[d] {
			return nil
		}
		dirs[d] = true
		return lt.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode, ModTime: mtime})
	}
	if err := addDir("tmp", 0o1777); err != nil {
		return err
	}
	files := append([]imageFile(nil), s.files...)
	sort.Slice(files, func(i, j int) bool { return files[i].dest < files[j].dest })
	for _, f := range files {
		rel := strings.TrimPrefix(path.Clean(f.dest), "/")
		if rel == "" || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("image %s: invalid path %q", s.name, f.dest)
		}
		var parents []string
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if err := addDir(d, 0o755); err != nil {
				return err
			}
		}
		src, err := os.Open(f.src)
		if err != nil {
			return err
		}
		st, err := src.Stat()
		if err != nil {
			src.Close()
			return err
		}
		if err := lt.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o755, Size: st.Size(), ModTime: mtime}); err != nil {
			src.Close()
			return err
		}
		_, err = io.Copy(lt, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	if err := lt.Close(); err != nil {
		return err
	}
	layerSum := hex.EncodeToString(h.Sum(nil))
	st, err := layer.Stat()
	if err != nil {
		return err
	}

	cfg := map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      mtime.Format(time.RFC3339),
		"config": map[string]any{
			"Entrypoint": s.entrypoint,
			"Env":        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"WorkingDir": "/",
			"Labels":     map[string]string{"app.kubernetes.io/managed-by": "secprof"},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerSum}},
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	cfgSum := sha256.Sum256(cfgJSON)
	cfgName := hex.EncodeToString(cfgSum[:]) + ".json"
	layerName := layerSum + "/layer.tar"
	manifest, err := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{tagged(s.name)}, "Layers": []string{layerName}}})
	if err != nil {
		return err
	}

	out := tar.NewWriter(w)
	add := func(name string, b []byte) error {
		if err := out.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: mtime}); err != nil {
			return err
		}
		_, err := out.Write(b)
		return err
	}
	if err := add(cfgName, cfgJSON); err != nil {
		return err
	}
	if err := out.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: layerSum + "/", Mode: 0o755, ModTime: mtime}); err != nil {
		return err
	}
	if _, err := layer.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := out.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: layerName, Mode: 0o644, Size: st.Size(), ModTime: mtime}); err != nil {
		return err
	}
	if _, err := io.Copy(out, layer); err != nil {
		return err
	}
	if err := add("manifest.json", manifest); err != nil {
		return err
	}
	return out.Close()
}

// tagged adds ":latest" to a reference without tag or digest, as docker
// does.
func tagged(ref string) string {
	last := ref[strings.LastIndex(ref, "/")+1:]
	if strings.Contains(last, ":") || strings.Contains(ref, "@") {
		return ref
	}
	return ref + ":latest"
}

// caseImages lists the images the plan's cases run (workload images and
// the containers of pod manifests).
func caseImages(plan *harness.Plan) ([]string, error) {
	set := map[string]bool{}
	for _, c := range plan.Cases {
		switch {
		case c.Workload != nil && c.Workload.Image != "":
			set[c.Workload.Image] = true
		case c.PodPath != "":
			p, err := kube.ReadPodManifest(c.PodPath)
			if err != nil {
				return nil, err
			}
			for _, ct := range p.Spec.InitContainers {
				set[ct.Image] = true
			}
			for _, ct := range p.Spec.Containers {
				set[ct.Image] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	sort.Strings(out)
	return out, nil
}

// loadImages puts the images the cases need into every node: plan-built
// images are built and imported; images the local Docker engine has are
// exported from it (`kind load docker-image`). Other images are left to
// the kubelet to pull. It returns the images loaded.
func (b *Backend) loadImages(ctx context.Context, ns []nodes.Node, images []string) ([]string, error) {
	var loaded []string
	for _, img := range images {
		if _, ok := b.plan.Images[img]; ok {
			spec, err := b.planImage(ctx, img)
			if err != nil {
				return loaded, fmt.Errorf("image %s: %w", img, err)
			}
			start := time.Now()
			err = loadIntoNodes(ctx, ns, func(w io.Writer) error { return writeImageArchive(w, spec, b.tmp) })
			if err != nil {
				return loaded, fmt.Errorf("image %s: %w", img, err)
			}
			b.logf("kind: built and loaded %s into %d node(s) in %s", img, len(ns), time.Since(start).Round(time.Millisecond))
			loaded = append(loaded, img)
			continue
		}
		id := imageID(ctx, img)
		if id == "" {
			b.logf("kind: %s is not in the local Docker engine; the nodes will pull it", img)
			continue
		}
		var todo []nodes.Node
		for _, n := range ns {
			if have, err := nodeutils.ImageID(n, img); err != nil || have != id {
				todo = append(todo, n)
			}
		}
		if len(todo) > 0 {
			start := time.Now()
			err := loadIntoNodes(ctx, todo, func(w io.Writer) error { return dockerSave(ctx, img, w) })
			if err != nil {
				return loaded, fmt.Errorf("loading %s: %w", img, err)
			}
			b.logf("kind: loaded %s into %d node(s) in %s", img, len(todo), time.Since(start).Round(time.Millisecond))
		}
		loaded = append(loaded, img)
	}
	return loaded, nil
}

// loadIntoNodes streams the archive write makes into every node's
// containerd, one node after the other.
func loadIntoNodes(ctx context.Context, ns []nodes.Node, write func(io.Writer) error) error {
	for _, n := range ns {
		pr, pw := io.Pipe()
		var wg sync.WaitGroup
		var werr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			werr = write(pw)
			pw.CloseWithError(werr)
		}()
		lerr := nodeutils.LoadImageArchive(n, pr)
		// Unblock the writer if the import stopped reading early.
		pr.CloseWithError(errors.New("import ended"))
		wg.Wait()
		if lerr != nil {
			return fmt.Errorf("node %s: %w", n.String(), lerr)
		}
		if werr != nil {
			return werr
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
	return nil
}

func dockerSave(ctx context.Context, image string, w io.Writer) error {
	cmd := exec.CommandContext(ctx, "docker", "save", image)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker save %s: %v: %s", image, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
