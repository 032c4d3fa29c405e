package kind

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImageArchive checks the archive against what `ctr images import`
// reads: a manifest naming the config and the layer by their digests, and
// a layer holding the binaries and /tmp.
func TestImageArchive(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "echo")
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(bin, []byte("ELF echo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(probe, []byte("ELF probe"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := &imageSpec{name: "secprof/http-echo:dev", entrypoint: []string{"/http-echo"},
		files: []imageFile{{bin, "/http-echo"}, {probe, "/usr/local/bin/probe"}}}
	var buf bytes.Buffer
	if err := writeImageArchive(&buf, spec, dir); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = b
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v %s", err, files["manifest.json"])
	}
	m := manifest[0]
	if len(m.RepoTags) != 1 || m.RepoTags[0] != "secprof/http-echo:dev" || len(m.Layers) != 1 {
		t.Fatalf("manifest %+v", m)
	}
	cfg := files[m.Config]
	sum := sha256.Sum256(cfg)
	if m.Config != hex.EncodeToString(sum[:])+".json" {
		t.Errorf("config %s is not named by its digest", m.Config)
	}
	var c struct {
		Architecture string
		OS           string
		Config       struct{ Entrypoint []string }
		RootFS       struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		t.Fatal(err)
	}
	layer := files[m.Layers[0]]
	lsum := sha256.Sum256(layer)
	if len(c.RootFS.DiffIDs) != 1 || c.RootFS.DiffIDs[0] != "sha256:"+hex.EncodeToString(lsum[:]) {
		t.Errorf("diff_ids %v do not match the layer", c.RootFS.DiffIDs)
	}
	if c.OS != "linux" || strings.Join(c.Config.Entrypoint, " ") != "/http-echo" {
		t.Errorf("config %+v", c)
	}
	got := map[string]int64{}
	lr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h.Mode
	}
	for name, mode := range map[string]int64{"tmp/": 0o1777, "http-echo": 0o755, "usr/": 0o755, "usr/local/": 0o755, "usr/local/bin/": 0o755, "usr/local/bin/probe": 0o755} {
		if got[name] != mode {
			t.Errorf("layer entry %s: mode %o, want %o (layer: %v)", name, got[name], mode, got)
		}
	}

	// The same content gives the same image.
	var again bytes.Buffer
	if err := writeImageArchive(&again, spec, dir); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), func() []byte {
		var b bytes.Buffer
		_ = writeImageArchive(&b, spec, dir)
		return b.Bytes()
	}()) {
		t.Error("the archive is not reproducible")
	}

	bad := &imageSpec{name: "x", files: []imageFile{{bin, "../escape"}}}
	if err := writeImageArchive(io.Discard, bad, dir); err == nil {
		t.Error("a path out of the image root was accepted")
	}
}

func TestTagged(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                   "busybox:latest",
		"secprof/http-echo:dev":     "secprof/http-echo:dev",
		"localhost:5000/x":          "localhost:5000/x:latest",
		"localhost:5000/x:1":        "localhost:5000/x:1",
		"x@sha256:0123":             "x@sha256:0123",
		"registry.k8s.io/pause:3.1": "registry.k8s.io/pause:3.1",
	} {
		if got := tagged(in); got != want {
			t.Errorf("tagged(%q) = %q, want %q", in, got, want)
		}
	}
}
