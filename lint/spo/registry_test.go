package spo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/file"
	"oras.land/oras-go/v2/registry/remote"
)

// testRegistry is a real OCI registry — the distribution project's
// registry (what Docker Hub and many others run), in memory — served on a
// loopback port for the duration of a test.
type testRegistry struct {
	t    testing.TB
	host string
	srv  *httptest.Server
}

func startRegistry(t testing.TB) *testRegistry {
	t.Helper()
	logrus.SetOutput(io.Discard)
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory": configuration.Parameters{},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{
				"enabled": false,
			}},
		},
	}
	cfg.Log.AccessLog.Disabled = true
	cfg.HTTP.Secret = "secprof-test"
	app := handlers.NewApp(context.Background(), cfg)
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &testRegistry{t: t, host: strings.TrimPrefix(srv.URL, "http://"), srv: srv}
}

// layerFile is one file of an artifact.
type layerFile struct {
	name      string // layer title, e.g. profile.yaml
	content   string
	mediaType string // "" as spoc push: the file store's default
	platform  *ocispec.Platform
}

// push publishes an artifact laid out as `spoc push` lays it out (an OCI
// 1.1 manifest packed by oras from a file store, artifactType
// application/vnd.unknown.config.v1+json) to repo:tag and returns its
// digest. configMediaType, when set, is pushed as the config (KEP-6061).
func (r *testRegistry) push(repo, tag string, files []layerFile, configMediaType string) digest.Digest {
	t := r.t
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var layers []ocispec.Descriptor
	for _, f := range files {
		p := filepath.Join(dir, "src-"+f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
			t.Fatal(err)
		}
		desc, err := store.Add(ctx, f.name, f.mediaType, p)
		if err != nil {
			t.Fatal(err)
		}
		desc.Platform = f.platform
		layers = append(layers, desc)
	}
	artifactType := oras.MediaTypeUnknownConfig
	opts := oras.PackManifestOptions{Layers: layers}
	if configMediaType != "" {
		artifactType = configMediaType
		cfg := []byte("{}")
		cd := ocispec.Descriptor{MediaType: configMediaType, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
		if err := store.Push(ctx, cd, bytes.NewReader(cfg)); err != nil {
			t.Fatal(err)
		}
		opts.ConfigDescriptor = &cd
	}
	man, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, artifactType, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Tag(ctx, man, tag); err != nil {
		t.Fatal(err)
	}
	dst := r.repo(repo)
	if _, err := oras.Copy(ctx, store, tag, dst, tag, oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
	return man.Digest
}

// pushIndex publishes an image index of platform manifests under tag.
func (r *testRegistry) pushIndex(repo, tag string, manifests map[string]digest.Digest) digest.Digest {
	t := r.t
	t.Helper()
	ctx := context.Background()
	dst := r.repo(repo)
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex}
	idx.SchemaVersion = 2
	for plat, d := range manifests {
		desc, err := dst.Resolve(ctx, d.String())
		if err != nil {
			t.Fatal(err)
		}
		os, arch, _ := strings.Cut(plat, "/")
		desc.Platform = &ocispec.Platform{OS: os, Architecture: arch}
		idx.Manifests = append(idx.Manifests, desc)
	}
	b, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(b), Size: int64(len(b))}
	if err := dst.PushReference(ctx, desc, bytes.NewReader(b), tag); err != nil {
		t.Fatal(err)
	}
	return desc.Digest
}

func (r *testRegistry) repo(name string) *remote.Repository {
	r.t.Helper()
	repo, err := remote.NewRepository(r.host + "/" + name)
	if err != nil {
		r.t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo
}

// ref returns an oci:// reference into the registry.
func (r *testRegistry) ref(s string) string { return OCIPrefix + r.host + "/" + s }
