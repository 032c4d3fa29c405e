package spo

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	godigest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const runcBase = `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: runc-v1.1.5
spec:
  defaultAction: SCMP_ACT_ERRNO
  architectures: [SCMP_ARCH_X86_64]
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [execve, exit_group, futex, read, write, close, openat, mmap, brk]
`

func mustRef(t testing.TB, s string) BaseRef {
	t.Helper()
	r, err := ParseBaseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newTestPuller(t testing.TB) *Puller {
	return &Puller{CacheDir: filepath.Join(t.TempDir(), "cache"), Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}}
}

func TestPullRoundTrip(t *testing.T) {
	reg := startRegistry(t)
	d := reg.push("security-profiles/runc", "v1.1.5", []layerFile{{name: "profile.yaml", content: runcBase}}, "")
	p := newTestPuller(t)
	ctx := context.Background()

	art, err := p.Pull(ctx, mustRef(t, reg.ref("security-profiles/runc:v1.1.5")))
	if err != nil {
		t.Fatal(err)
	}
	if art.Digest != d.String() || art.Layer != "profile.yaml" || string(art.Content) != runcBase || art.Cached || art.RuntimeFormat {
		t.Fatalf("got %+v", art)
	}

	// By digest, from the cache only: the registry is gone and pulling
	// is off.
	reg.srv.Close()
	off := &Puller{CacheDir: p.CacheDir, Offline: true, Platform: p.Platform}
	art2, err := off.Pull(ctx, mustRef(t, reg.ref("security-profiles/runc@"+d.String())))
	if err != nil {
		t.Fatal(err)
	}
	if !art2.Cached || string(art2.Content) != runcBase {
		t.Fatalf("cached pull: %+v", art2)
	}
	// The tag too, within its time to live.
	if _, err := off.Pull(ctx, mustRef(t, reg.ref("security-profiles/runc:v1.1.5"))); err != nil {
		t.Fatalf("cached tag: %v", err)
	}
	// An unknown tag offline is an error naming the reason.
	if _, err := off.Pull(ctx, mustRef(t, reg.ref("security-profiles/runc:v9"))); err == nil || !strings.Contains(err.Error(), "pulling is disabled") {
		t.Fatalf("offline miss: %v", err)
	}
}

func TestPullTagExpires(t *testing.T) {
	reg := startRegistry(t)
	reg.push("p/base", "v1", []layerFile{{name: "profile.yaml", content: runcBase}}, "")
	p := newTestPuller(t)
	now := time.Now()
	p.Now = func() time.Time { return now }
	ctx := context.Background()
	ref := mustRef(t, reg.ref("p/base:v1"))
	if _, err := p.Pull(ctx, ref); err != nil {
		t.Fatal(err)
	}
	// The tag moves; within the TTL the cached resolution is used.
	moved := strings.Replace(runcBase, "brk]", "brk, uname]", 1)
	d2 := reg.push("p/base", "v1", []layerFile{{name: "profile.yaml", content: moved}}, "")
	p2 := &Puller{CacheDir: p.CacheDir, Platform: p.Platform, Now: p.Now}
	art, err := p2.Pull(ctx, ref)
	if err != nil || string(art.Content) != runcBase || !art.Cached {
		t.Fatalf("within TTL: %v %+v", err, art)
	}
	// After it, the registry is asked again.
	now = now.Add(DefaultTagTTL + time.Minute)
	p3 := &Puller{CacheDir: p.CacheDir, Platform: p.Platform, Now: p.Now}
	art, err = p3.Pull(ctx, ref)
	if err != nil || art.Digest != d2.String() || string(art.Content) != moved {
		t.Fatalf("after TTL: %v %+v", err, art)
	}
}

func TestPullLayouts(t *testing.T) {
	reg := startRegistry(t)
	amd := strings.Replace(runcBase, "runc-v1.1.5", "amd64-only", 1)
	arm := strings.Replace(runcBase, "runc-v1.1.5", "arm64-only", 1)
	reg.push("multi/layers", "v1", []layerFile{
		{name: "profile-linux-amd64.yaml", content: amd, platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}},
		{name: "profile-linux-arm64.yaml", content: arm, platform: &ocispec.Platform{OS: "linux", Architecture: "arm64"}},
		{name: "profile.yaml", content: runcBase},
	}, "")
	spec := `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`
	reg.push("kep6061/profile", "v1", []layerFile{{name: "profile.json", content: spec, mediaType: "application/json"}}, MediaTypeSeccompProfile)
	da := reg.push("index/profile", "amd64", []layerFile{{name: "profile.yaml", content: amd}}, "")
	dr := reg.push("index/profile", "arm64", []layerFile{{name: "profile.yaml", content: arm}}, "")
	reg.pushIndex("index/profile", "v1", map[string]godigest.Digest{"linux/amd64": da, "linux/arm64": dr})
	reg.push("odd/two", "v1", []layerFile{{name: "a.yaml", content: runcBase}, {name: "b.yaml", content: runcBase}}, "")
	reg.push("odd/other-platform", "v1", []layerFile{{name: "profile-linux-s390x.yaml", content: runcBase}}, "")
	reg.push("odd/untitled-single", "v1", []layerFile{{name: "whatever.yaml", content: runcBase}}, "")

	ctx := context.Background()
	for _, tc := range []struct {
		ref, arch, want, err string
		runtime              bool
	}{
		{ref: "multi/layers:v1", arch: "amd64", want: "amd64-only"},
		{ref: "multi/layers:v1", arch: "arm64", want: "arm64-only"},
		{ref: "multi/layers:v1", arch: "riscv64", want: "runc-v1.1.5"},
		{ref: "kep6061/profile:v1", arch: "amd64", want: `"read"`, runtime: true},
		{ref: "index/profile:v1", arch: "amd64", want: "amd64-only"},
		{ref: "index/profile:v1", arch: "arm64", want: "arm64-only"},
		{ref: "index/profile:v1", arch: "riscv64", err: "no manifest for linux/riscv64"},
		{ref: "odd/two:v1", arch: "amd64", err: "2 layers and none is"},
		{ref: "odd/other-platform:v1", arch: "amd64", err: "another platform"},
		{ref: "odd/untitled-single:v1", arch: "amd64", want: "runc-v1.1.5"},
		{ref: "missing/repo:v1", arch: "amd64", err: "has no tag v1"},
	} {
		p := newTestPuller(t)
		p.Platform.Architecture = tc.arch
		art, err := p.Pull(ctx, mustRef(t, reg.ref(tc.ref)))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s on %s: err %v, want %q", tc.ref, tc.arch, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s on %s: %v", tc.ref, tc.arch, err)
			continue
		}
		if !strings.Contains(string(art.Content), tc.want) || art.RuntimeFormat != tc.runtime {
			t.Errorf("%s on %s: got layer %s (runtime %v): %s", tc.ref, tc.arch, art.Layer, art.RuntimeFormat, art.Content)
		}
	}
}

func TestPullRefusesOversizedAndCorrupt(t *testing.T) {
	reg := startRegistry(t)
	big := runcBase + "# " + strings.Repeat("x", maxProfileSize) + "\n"
	reg.push("big/profile", "v1", []layerFile{{name: "profile.yaml", content: big}}, "")
	p := newTestPuller(t)
	ctx := context.Background()
	if _, err := p.Pull(ctx, mustRef(t, reg.ref("big/profile:v1"))); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("oversized layer: %v", err)
	}

	d := reg.push("ok/profile", "v1", []layerFile{{name: "profile.yaml", content: runcBase}}, "")
	art, err := p.Pull(ctx, mustRef(t, reg.ref("ok/profile@"+d.String())))
	if err != nil {
		t.Fatal(err)
	}
	// Corrupt the cached profile blob: the next pull must notice and fetch
	// it again rather than trust the cache.
	var man ocispec.Manifest
	raw, _ := os.ReadFile(filepath.Join(p.CacheDir, "blobs", "sha256", d.Encoded()))
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(p.CacheDir, "blobs", "sha256", man.Layers[0].Digest.Encoded())
	if err := os.WriteFile(blob, []byte(strings.Repeat("!", len(art.Content))), 0o644); err != nil {
		t.Fatal(err)
	}
	p2 := &Puller{CacheDir: p.CacheDir, Platform: p.Platform}
	art2, err := p2.Pull(ctx, mustRef(t, reg.ref("ok/profile@"+d.String())))
	if err != nil || string(art2.Content) != runcBase || art2.Cached {
		t.Fatalf("corrupt cache: %v %+v", err, art2)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost:5000": true, "127.0.0.1:80": true, "[::1]:5000": true, "127.1.2.3": true,
		"ghcr.io": false, "10.0.0.1:5000": false, "localhost.example.com": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v", host, got)
		}
	}
}

func TestParseManifestArtifactBlobs(t *testing.T) {
	raw := `{"mediaType":"application/vnd.oci.artifact.manifest.v1+json","artifactType":"application/vnd.unknown.artifact.v1","blobs":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","size":3,"annotations":{"org.opencontainers.image.title":"profile.yaml"}}]}`
	m, err := parseManifest([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := selectLayer(m, &ocispec.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil || l.Annotations[ocispec.AnnotationTitle] != "profile.yaml" {
		t.Fatalf("%v %+v", err, l)
	}
}

func TestPullConcurrent(t *testing.T) {
	reg := startRegistry(t)
	d := reg.push("sp/runc", "v1", []layerFile{{name: "profile.yaml", content: runcBase}}, "")
	p := newTestPuller(t)
	ref := mustRef(t, reg.ref("sp/runc:v1"))
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			art, err := p.Pull(context.Background(), ref)
			if err == nil && art.Digest != d.String() {
				err = errors.New("wrong digest " + art.Digest)
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
