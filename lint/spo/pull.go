package spo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// The layout of base profile artifacts, as the Security Profiles Operator's
// `spoc push` writes them and its daemon reads them
// (sigs.k8s.io/security-profiles-operator internal/pkg/artifact):
//
//   - an OCI image manifest (v1.1) with artifactType
//     application/vnd.unknown.config.v1+json and the empty config, whose
//     layers are the profile files, named by their
//     org.opencontainers.image.title annotation: profile.yaml (a
//     SeccompProfile object), or profile-<os>-<arch>[-<variant>].yaml with
//     the layer's platform set for platform-specific ones;
//   - or an image index whose manifests carry platforms;
//   - or (KEP-6061, "runtime format") a manifest whose config media type or
//     artifactType is application/vnd.cncf.seccomp-profile.config.v1+json and
//     whose single layer (profile.json, application/json) is a plain OCI
//     runtime-spec seccomp profile.
//
// The layer is chosen as SPO chooses it: the one for the platform, then
// profile.yaml, then profile.json, then the only layer.
const (
	MediaTypeSeccompProfile = "application/vnd.cncf.seccomp-profile.config.v1+json"
	profileYAML             = "profile.yaml"
	profileJSON             = "profile.json"

	mediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// Limits on what a registry may send: profiles are small, manifests
// smaller; a hostile registry must not make secprof read gigabytes.
const (
	maxManifestSize = 4 << 20
	maxProfileSize  = 4 << 20
	maxLayers       = 64
	defaultTimeout  = 60 * time.Second
	// DefaultTagTTL is how long a tag's resolution is trusted without
	// asking the registry again (the operator caches pulled base profiles
	// for 24 hours too).
	DefaultTagTTL = 24 * time.Hour
)

// Artifact is a pulled base profile.
type Artifact struct {
	// Ref is the reference as written (without oci://); Digest the digest
	// of the manifest it resolved to.
	Ref    string
	Digest string
	// Layer is the title of the layer the profile came from, Content the
	// profile itself (SeccompProfile YAML or runtime-spec JSON).
	Layer   string
	Content []byte
	// RuntimeFormat is set for KEP-6061 artifacts.
	RuntimeFormat bool
	// Cached is set when nothing had to be fetched from the registry.
	Cached bool
}

// Puller pulls base profile artifacts with oras-go and keeps what it
// fetched in a content-addressed cache on disk. It sends no credentials: a
// baseProfileName comes from the linted (untrusted) files, and a registry
// named there must not receive the runner's tokens. It is safe for
// concurrent use.
type Puller struct {
	// CacheDir holds the cache (an OCI image layout's blobs plus the tags
	// seen); "" disables it.
	CacheDir string
	// Offline forbids network access: only cached artifacts can be used.
	Offline bool
	// PlainHTTP tells which registries are spoken to over plain HTTP; the
	// default is loopback addresses only.
	PlainHTTP func(registry string) bool
	// HTTPClient is the client for registry requests (default: one with a
	// timeout).
	HTTPClient *http.Client
	// Platform selects among platform-specific profiles (default
	// linux/GOARCH, what the operator uses on the node).
	Platform *ocispec.Platform
	// TagTTL bounds how long a cached tag resolution is used (default
	// DefaultTagTTL; negative: always ask the registry).
	TagTTL time.Duration
	// Now is the clock (tests).
	Now func() time.Time

	mu       sync.Mutex
	inflight map[string]*pullCall
	storage  *oci.Storage
}

type pullCall struct {
	done chan struct{}
	art  *Artifact
	err  error
}

// DefaultCacheDir is $SECPROF_CACHE_DIR, else <user cache dir>/secprof/oci
// ($XDG_CACHE_HOME or ~/.cache on Linux), or "" when there is none.
func DefaultCacheDir() string {
	if d := os.Getenv("SECPROF_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "secprof", "oci")
}

// NewPuller returns a puller with the default cache directory; the
// environment variable SECPROF_OFFLINE=1 makes it offline.
func NewPuller() *Puller {
	return &Puller{CacheDir: DefaultCacheDir(), Offline: os.Getenv("SECPROF_OFFLINE") == "1"}
}

// Pull fetches the profile of ref (an oci:// reference). Concurrent pulls
// of the same reference share one fetch.
func (p *Puller) Pull(ctx context.Context, ref BaseRef) (*Artifact, error) {
	if !ref.OCI {
		return nil, fmt.Errorf("%s is not an oci:// reference", ref.Raw)
	}
	key := ref.Artifact()
	p.mu.Lock()
	if p.inflight == nil {
		p.inflight = map[string]*pullCall{}
	}
	if c, ok := p.inflight[key]; ok {
		p.mu.Unlock()
		select {
		case <-c.done:
			return c.art, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &pullCall{done: make(chan struct{})}
	p.inflight[key] = c
	p.mu.Unlock()

	c.art, c.err = p.pull(ctx, ref)
	close(c.done)
	p.mu.Lock()
	// Keep successes for the rest of the run; retry failures.
	if c.err != nil {
		delete(p.inflight, key)
	}
	p.mu.Unlock()
	return c.art, c.err
}

func (p *Puller) pull(ctx context.Context, ref BaseRef) (*Artifact, error) {
	ctx, cancel := context.WithTimeout(ctx, defaultTimeout)
	defer cancel()
	s := &session{p: p, ref: ref, cached: true}
	manifest, err := s.resolve(ctx)
	if err != nil {
		return nil, err
	}
	art := &Artifact{Ref: ref.Artifact(), Digest: manifest.Digest.String()}
	raw, err := s.blob(ctx, manifest, maxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("fetching manifest %s: %w", manifest.Digest, err)
	}
	if isIndex(manifest.MediaType, raw) {
		m, err := p.selectManifest(raw)
		if err != nil {
			return nil, err
		}
		if raw, err = s.blob(ctx, m, maxManifestSize); err != nil {
			return nil, fmt.Errorf("fetching manifest %s: %w", m.Digest, err)
		}
	}
	man, err := parseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %v", manifest.Digest, err)
	}
	layer, runtimeFormat, err := selectLayer(man, p.platform())
	if err != nil {
		return nil, err
	}
	art.Layer = layer.Annotations[ocispec.AnnotationTitle]
	art.RuntimeFormat = runtimeFormat
	if art.Content, err = s.blob(ctx, *layer, maxProfileSize); err != nil {
		return nil, fmt.Errorf("fetching profile layer %s: %w", layer.Digest, err)
	}
	art.Cached = s.cached
	return art, nil
}

func (p *Puller) platform() *ocispec.Platform {
	if p.Platform != nil {
		return p.Platform
	}
	return &ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// session is one pull: the repository is opened on first need.
type session struct {
	p      *Puller
	ref    BaseRef
	repo   *remote.Repository
	cached bool // nothing came from the network
}

func (s *session) repository() (*remote.Repository, error) {
	if s.p.Offline {
		return nil, &PullError{Err: errors.New("not in the cache, and pulling is disabled (--offline or SECPROF_OFFLINE=1)"), Unavailable: true}
	}
	if s.repo != nil {
		return s.repo, nil
	}
	repo, err := remote.NewRepository(s.ref.Registry + "/" + s.ref.Repository)
	if err != nil {
		return nil, err
	}
	plain := isLoopback
	if s.p.PlainHTTP != nil {
		plain = s.p.PlainHTTP
	}
	repo.PlainHTTP = plain(s.ref.Registry)
	hc := s.p.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	// Anonymous: auth.Client still performs the token dance public
	// registries require, without credentials.
	repo.Client = &auth.Client{Client: hc, Cache: auth.NewCache(), Header: http.Header{"User-Agent": {"secprof"}}}
	s.repo = repo
	s.cached = false
	return repo, nil
}

// resolve returns the descriptor of the manifest (or index) ref names.
func (s *session) resolve(ctx context.Context) (ocispec.Descriptor, error) {
	if s.ref.Digest != "" {
		d, err := digest.Parse(s.ref.Digest)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		if size, ok := s.p.cachedSize(d); ok {
			return ocispec.Descriptor{Digest: d, Size: size}, nil
		}
		repo, err := s.repository()
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		desc, err := repo.Resolve(ctx, d.String())
		if err != nil {
			return ocispec.Descriptor{}, describePullError(s.ref, err)
		}
		if desc.Digest != d {
			return ocispec.Descriptor{}, fmt.Errorf("the registry answered %s for %s", desc.Digest, d)
		}
		return desc, nil
	}
	if desc, ok := s.p.cachedTag(s.ref); ok {
		return desc, nil
	}
	repo, err := s.repository()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := repo.Resolve(ctx, s.ref.Tag)
	if err != nil {
		return ocispec.Descriptor{}, describePullError(s.ref, err)
	}
	s.p.saveTag(s.ref, desc)
	return desc, nil
}

// PullError is a failure to pull a base profile. Unavailable marks the
// failures that say nothing about the reference itself — the registry is
// unreachable, refuses anonymous access or fails, or pulling is disabled
// — as opposed to a tag that does not exist or an artifact without a
// profile.
type PullError struct {
	Err         error
	Unavailable bool
}

func (e *PullError) Error() string { return e.Err.Error() }
func (e *PullError) Unwrap() error { return e.Err }

func describePullError(ref BaseRef, err error) error {
	if errors.Is(err, errdef.ErrNotFound) {
		return fmt.Errorf("%s/%s has no %s", ref.Registry, ref.Repository, firstNonEmpty(ref.Digest, "tag "+ref.Tag))
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return &PullError{Err: fmt.Errorf("registry %s unreachable: %v", ref.Registry, err), Unavailable: true}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &PullError{Err: fmt.Errorf("registry %s: %v", ref.Registry, err), Unavailable: true}
	}
	// Authentication required, rate limits, server errors: the reference
	// may well be fine.
	return &PullError{Err: err, Unavailable: true}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// blob returns the content of desc from the cache, else from the registry
// (verified against the digest and stored in the cache).
func (s *session) blob(ctx context.Context, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a profile artifact may have", desc.Digest, desc.Size, limit)
	}
	if b, ok := s.p.cachedBlob(desc); ok {
		return b, nil
	}
	repo, err := s.repository()
	if err != nil {
		return nil, err
	}
	if desc.Size <= 0 {
		// A digest-only reference whose manifest is not cached.
		if desc, err = repo.Resolve(ctx, desc.Digest.String()); err != nil {
			return nil, describePullError(s.ref, err)
		}
		if desc.Size > limit {
			return nil, fmt.Errorf("%s is %d bytes, more than the %d a profile artifact may have", desc.Digest, desc.Size, limit)
		}
	}
	rc, err := repo.Fetch(ctx, desc)
	if err != nil {
		return nil, describePullError(s.ref, err)
	}
	defer rc.Close()
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil, err
	}
	s.p.saveBlob(ctx, desc, b)
	return b, nil
}

// isIndex tells an image index from a manifest, by media type or, when the
// cache does not know it, by the document's own mediaType / manifests keys.
func isIndex(mediaType string, raw []byte) bool {
	if mediaType == "" {
		var probe struct {
			MediaType string            `json:"mediaType"`
			Manifests []json.RawMessage `json:"manifests"`
		}
		if json.Unmarshal(raw, &probe) == nil {
			mediaType = probe.MediaType
			if mediaType == "" && probe.Manifests != nil {
				return true
			}
		}
	}
	return mediaType == ocispec.MediaTypeImageIndex || mediaType == mediaTypeDockerManifestList
}

// selectManifest picks the manifest of an index for the platform; an index
// with a single platform-less manifest serves every platform.
func (p *Puller) selectManifest(raw []byte) (ocispec.Descriptor, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("image index is not valid JSON: %v", err)
	}
	if len(idx.Manifests) > maxLayers {
		return ocispec.Descriptor{}, fmt.Errorf("image index has %d manifests, more than %d", len(idx.Manifests), maxLayers)
	}
	want := p.platform()
	for _, m := range idx.Manifests {
		if m.Platform != nil && platformMatches(m.Platform, want) {
			if isIndex(m.MediaType, nil) {
				return ocispec.Descriptor{}, errors.New("nested image index")
			}
			return m, nil
		}
	}
	if len(idx.Manifests) == 1 && idx.Manifests[0].Platform == nil {
		return idx.Manifests[0], nil
	}
	return ocispec.Descriptor{}, fmt.Errorf("the image index has no manifest for %s", platformString(want))
}

// parseManifest reads an image manifest. The OCI 1.1 release candidates'
// artifact manifest (application/vnd.oci.artifact.manifest.v1+json), which
// early oras releases wrote, lists its files as "blobs": they are taken as
// the layers.
func parseManifest(raw []byte) (*ocispec.Manifest, error) {
	var m struct {
		ocispec.Manifest
		Blobs []ocispec.Descriptor `json:"blobs"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if len(m.Layers) == 0 && len(m.Blobs) > 0 {
		m.Layers = m.Blobs
	}
	return &m.Manifest, nil
}

// selectLayer returns the profile layer of a manifest (see the layout
// above) and whether the artifact uses the KEP-6061 runtime format.
func selectLayer(m *ocispec.Manifest, platform *ocispec.Platform) (*ocispec.Descriptor, bool, error) {
	if len(m.Layers) > maxLayers {
		return nil, false, fmt.Errorf("the artifact has %d layers, more than %d", len(m.Layers), maxLayers)
	}
	if m.Config.MediaType == MediaTypeSeccompProfile || m.ArtifactType == MediaTypeSeccompProfile {
		if len(m.Layers) != 1 {
			return nil, false, fmt.Errorf("a %s artifact must have exactly one layer, this one has %d", MediaTypeSeccompProfile, len(m.Layers))
		}
		return &m.Layers[0], true, nil
	}
	if platform != nil {
		name := platformLayerName(platform)
		for i := range m.Layers {
			l := &m.Layers[i]
			if l.Platform != nil && platformMatches(l.Platform, platform) {
				return l, false, nil
			}
			if l.Platform == nil && l.Annotations[ocispec.AnnotationTitle] == name {
				return l, false, nil
			}
		}
	}
	for _, name := range []string{profileYAML, profileJSON} {
		for i := range m.Layers {
			if l := &m.Layers[i]; l.Platform == nil && l.Annotations[ocispec.AnnotationTitle] == name {
				return l, false, nil
			}
		}
	}
	if len(m.Layers) != 1 {
		return nil, false, fmt.Errorf("the artifact has %d layers and none is %s, %s or %s", len(m.Layers), platformLayerName(platform), profileYAML, profileJSON)
	}
	l := &m.Layers[0]
	title := l.Annotations[ocispec.AnnotationTitle]
	if (l.Platform != nil && !platformMatches(l.Platform, platform)) || (l.Platform == nil && strings.HasPrefix(title, "profile-") && strings.HasSuffix(title, ".yaml")) {
		return nil, false, fmt.Errorf("the artifact only has a profile for another platform (%s)", title)
	}
	return l, false, nil
}

// platformLayerName is the layer title spoc gives a platform's profile.
func platformLayerName(p *ocispec.Platform) string {
	var b strings.Builder
	b.WriteString("profile")
	if p != nil {
		for _, part := range []string{p.OS, p.Architecture, p.Variant, p.OSVersion} {
			if part != "" {
				b.WriteString("-" + part)
			}
		}
	}
	b.WriteString(".yaml")
	return b.String()
}

func platformString(p *ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// platformMatches compares platforms with variants normalised the way
// container runtimes do (linux/arm64/v8 is linux/arm64).
func platformMatches(have, want *ocispec.Platform) bool {
	if want == nil {
		return false
	}
	return have.OS == want.OS && have.Architecture == want.Architecture &&
		normVariant(have.Architecture, have.Variant) == normVariant(want.Architecture, want.Variant) &&
		have.OSVersion == want.OSVersion
}

func normVariant(arch, variant string) string {
	switch {
	case arch == "arm64" && variant == "v8", arch == "amd64" && variant == "v1":
		return ""
	case arch == "arm" && variant == "":
		return "v7"
	}
	return variant
}

// isLoopback reports whether a registry host is a loopback address, the
// only registries spoken to over plain HTTP by default.
func isLoopback(registry string) bool {
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// --- cache ---

func (p *Puller) store() *oci.Storage {
	if p.CacheDir == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.storage == nil {
		st, err := oci.NewStorage(p.CacheDir)
		if err != nil {
			return nil
		}
		p.storage = st
	}
	return p.storage
}

func (p *Puller) blobPath(d digest.Digest) string {
	return filepath.Join(p.CacheDir, "blobs", d.Algorithm().String(), d.Encoded())
}

func (p *Puller) cachedSize(d digest.Digest) (int64, bool) {
	if p.CacheDir == "" || d.Validate() != nil {
		return 0, false
	}
	st, err := os.Stat(p.blobPath(d))
	if err != nil || !st.Mode().IsRegular() {
		return 0, false
	}
	return st.Size(), true
}

// cachedBlob reads desc from the cache, verifying size and digest: a
// corrupted cache entry is a miss, not an answer.
func (p *Puller) cachedBlob(desc ocispec.Descriptor) ([]byte, bool) {
	size, ok := p.cachedSize(desc.Digest)
	if !ok || (desc.Size > 0 && size != desc.Size) {
		return nil, false
	}
	f, err := os.Open(p.blobPath(desc.Digest))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b, err := content.ReadAll(f, ocispec.Descriptor{Digest: desc.Digest, Size: size})
	if err != nil {
		return nil, false
	}
	return b, true
}

func (p *Puller) saveBlob(ctx context.Context, desc ocispec.Descriptor, b []byte) {
	st := p.store()
	if st == nil {
		return
	}
	// Push ingests into a temporary file and renames it: concurrent
	// writers (two secprof processes) cannot leave a torn blob.
	if err := st.Push(ctx, desc, strings.NewReader(string(b))); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return
	}
}

type tagEntry struct {
	Reference string    `json:"reference"`
	MediaType string    `json:"mediaType"`
	Digest    string    `json:"digest"`
	Size      int64     `json:"size"`
	Resolved  time.Time `json:"resolved"`
}

func (p *Puller) tagPath(ref BaseRef) string {
	sum := sha256.Sum256([]byte(ref.Registry + "/" + ref.Repository + ":" + ref.Tag))
	return filepath.Join(p.CacheDir, "tags", hex.EncodeToString(sum[:])+".json")
}

func (p *Puller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Puller) cachedTag(ref BaseRef) (ocispec.Descriptor, bool) {
	ttl := p.TagTTL
	if ttl == 0 {
		ttl = DefaultTagTTL
	}
	if p.CacheDir == "" || ttl < 0 {
		return ocispec.Descriptor{}, false
	}
	b, err := os.ReadFile(p.tagPath(ref))
	if err != nil || len(b) > 4096 {
		return ocispec.Descriptor{}, false
	}
	var e tagEntry
	if json.Unmarshal(b, &e) != nil || e.Reference != ref.Registry+"/"+ref.Repository+":"+ref.Tag {
		return ocispec.Descriptor{}, false
	}
	d, err := digest.Parse(e.Digest)
	if err != nil {
		return ocispec.Descriptor{}, false
	}
	if age := p.now().Sub(e.Resolved); age < 0 || (age > ttl && !p.Offline) {
		return ocispec.Descriptor{}, false
	}
	desc := ocispec.Descriptor{MediaType: e.MediaType, Digest: d, Size: e.Size}
	if _, ok := p.cachedBlob(desc); !ok {
		return ocispec.Descriptor{}, false
	}
	return desc, true
}

func (p *Puller) saveTag(ref BaseRef, desc ocispec.Descriptor) {
	if p.CacheDir == "" {
		return
	}
	b, err := json.Marshal(tagEntry{Reference: ref.Registry + "/" + ref.Repository + ":" + ref.Tag, MediaType: desc.MediaType, Digest: desc.Digest.String(), Size: desc.Size, Resolved: p.now().UTC()})
	if err != nil {
		return
	}
	path := p.tagPath(ref)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tag-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		_ = os.Remove(tmp.Name())
	}
}
