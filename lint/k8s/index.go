package k8s

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
)

// Bounds on what is read of the AppArmor directory: a pull request must not
// make the linter read gigabytes.
const (
	maxProfileFiles = 10000
	maxProfileBytes = 256 << 20
)

// ProfileNamer lists the names of the AppArmor profiles a file defines
// (what `localhost/NAME` must match), e.g. apparmor.ProfileNames.
type ProfileNamer func(content []byte) ([]string, error)

// index is what the cross-file rules know about the workspace: the
// configured profile directories and the SPO SeccompProfile objects of the
// run. It is built once per lint run and shared by every manifest.
type index struct {
	root string

	// seccompDir is the absolute seccomp profiles directory ("" when not
	// configured or unusable); seccompShown is how messages name it.
	seccompDir   string
	seccompShown string
	seccompErr   string

	apparmorDir   string
	apparmorShown string
	apparmorErr   string
	// apparmorNames maps a profile name to the workspace files that
	// define it; apparmorFiles maps a file's base name to the profiles it
	// defines, to explain the classic file-name-is-not-profile-name slip.
	apparmorNames map[string][]string
	apparmorFiles map[string][]string

	// spo maps a SeccompProfile name to the namespaces it is declared in
	// ("" when the object has none) across the run's files.
	spo map[string][]string

	mu      sync.Mutex
	lookups map[string]lookup
}

type lookup struct {
	found          bool
	tried, escaped []string
}

type indexCache struct {
	mu sync.Mutex
	m  map[*lint.Context]*lazyIndex
}

type lazyIndex struct {
	once sync.Once
	idx  *index
}

// get returns the index of ctx, building it on first use. Only a few runs'
// indexes are kept: a process lints one workspace at a time.
func (c *indexCache) get(ctx *lint.Context, namer ProfileNamer) *index {
	c.mu.Lock()
	if c.m == nil || len(c.m) > 8 {
		c.m = map[*lint.Context]*lazyIndex{}
	}
	l := c.m[ctx]
	if l == nil {
		l = &lazyIndex{}
		c.m[ctx] = l
	}
	c.mu.Unlock()
	l.once.Do(func() { l.idx = buildIndex(ctx, namer) })
	return l.idx
}

func buildIndex(ctx *lint.Context, namer ProfileNamer) *index {
	idx := &index{root: ctx.Root}
	if ctx.Config != nil {
		idx.seccompDir, idx.seccompShown, idx.seccompErr = idx.profileDir(ctx, ctx.Config.Profiles.Seccomp)
		idx.apparmorDir, idx.apparmorShown, idx.apparmorErr = idx.profileDir(ctx, ctx.Config.Profiles.AppArmor)
	}
	if idx.seccompDir != "" {
		if st, err := os.Stat(idx.seccompDir); err != nil {
			idx.seccompErr = describeDirError(err)
		} else if !st.IsDir() {
			idx.seccompErr = "is not a directory"
		}
	}
	if idx.apparmorDir != "" && namer != nil {
		idx.readAppArmor(namer)
	}
	idx.spo = spoObjects(ctx.Files)
	return idx
}

// profileDir resolves a profiles directory of the configuration. It must
// lie inside the workspace: a pull request must not make secprof look at
// the runner's file system.
func (idx *index) profileDir(ctx *lint.Context, dir string) (abs, shown, problem string) {
	if dir == "" {
		return "", "", ""
	}
	p := ctx.Config.Resolve(dir)
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", dir, err.Error()
		}
		p = filepath.Join(wd, p)
	}
	rel, err := lint.Confine(idx.root, p)
	if err != nil {
		return "", dir, err.Error()
	}
	shown = rel
	if rel == "." {
		shown = "."
	}
	return filepath.Join(idx.root, filepath.FromSlash(rel)), shown, ""
}

// readAppArmor collects the profile names defined under the AppArmor
// directory. Files that do not parse are skipped: the AppArmor checker
// reports them.
func (idx *index) readAppArmor(namer ProfileNamer) {
	idx.apparmorNames = map[string][]string{}
	idx.apparmorFiles = map[string][]string{}
	n, total := 0, 0
	_ = filepath.WalkDir(idx.apparmorDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == idx.apparmorDir {
				idx.apparmorErr = describeDirError(err)
			}
			return nil
		}
		if d.IsDir() {
			if p != idx.apparmorDir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if n >= maxProfileFiles || total >= maxProfileBytes {
			return filepath.SkipAll
		}
		rel, err := lint.Confine(idx.root, p)
		if err != nil {
			return nil // a link out of the workspace
		}
		b, err := readBounded(p)
		if err != nil || lint.IsBinary(b) {
			return nil
		}
		n++
		total += len(b)
		names, err := namer(b)
		if err != nil && len(names) == 0 {
			return nil
		}
		for _, name := range names {
			idx.apparmorNames[name] = append(idx.apparmorNames[name], rel)
		}
		idx.apparmorFiles[d.Name()] = append(idx.apparmorFiles[d.Name()], names...)
		return nil
	})
}

func describeDirError(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "does not exist"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// readBounded reads a regular file of at most lint.MaxFileSize bytes.
func readBounded(p string) ([]byte, error) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > lint.MaxFileSize {
		return nil, errors.New("not a regular file of reasonable size")
	}
	return io.ReadAll(io.LimitReader(fh, lint.MaxFileSize))
}

// seccompCandidates are the files a Localhost seccomp profile may be,
// relative to the workspace. The configured directory stands for the
// kubelet's seccomp root (/var/lib/kubelet/seccomp), so
// "profiles/audit.json" is <dir>/profiles/audit.json; a directory mounted
// at /var/lib/kubelet/seccomp/profiles instead (as the seed's kind
// configuration and the harness do) holds it as <dir>/audit.json. Both
// layouts are accepted.
func (idx *index) seccompCandidates(localhost string) []string {
	clean := path.Clean(localhost)
	out := []string{clean}
	if rest, ok := strings.CutPrefix(clean, "profiles/"); ok {
		out = append(out, rest)
	}
	return out
}

// seccompProfileExists tells whether a Localhost seccomp profile exists
// under the seccomp directory, the workspace paths it looked at and those
// it refused because a link leads out of the workspace.
func (idx *index) seccompProfileExists(localhost string) (found bool, tried, escaped []string) {
	// Many manifests name the same few profiles: look each up once.
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if r, ok := idx.lookups[localhost]; ok {
		return r.found, r.tried, r.escaped
	}
	defer func() {
		if idx.lookups == nil {
			idx.lookups = map[string]lookup{}
		}
		idx.lookups[localhost] = lookup{found, tried, escaped}
	}()
	for _, c := range idx.seccompCandidates(localhost) {
		p := filepath.Join(idx.seccompDir, filepath.FromSlash(c))
		rel, err := lint.Confine(idx.root, p)
		if err != nil {
			escaped = append(escaped, path.Join(idx.seccompShown, c))
			continue
		}
		tried = append(tried, rel)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return true, tried, escaped
		}
	}
	return false, tried, escaped
}

// spoObjects collects the SeccompProfile objects (name → namespaces) of the
// run's files, so that a Localhost path SPO writes
// (operator/<namespace>/<name>.json) can be matched to its object.
func spoObjects(files []*lint.File) map[string][]string {
	out := map[string][]string{}
	for _, f := range files {
		if !f.HasYAMLKind("SeccompProfile") {
			continue
		}
		func() {
			defer func() { _ = recover() }()
			dec := yaml.NewDecoder(bytes.NewReader(f.Content))
			for i := 0; i < maxDocuments; i++ {
				var n yaml.Node
				if err := dec.Decode(&n); err != nil {
					return
				}
				root := &n
				if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
					root = root.Content[0]
				}
				if str(root, "kind") != "SeccompProfile" || !strings.HasPrefix(str(root, "apiVersion"), "security-profiles-operator.x-k8s.io/") {
					continue
				}
				md := value(root, "metadata")
				if name := str(md, "name"); name != "" {
					out[name] = append(out[name], str(md, "namespace"))
				}
			}
		}()
	}
	return out
}

// spoProfile parses an SPO Localhost path: operator/<namespace>/<name>.json
// (older releases add a workload directory before the name).
func spoProfile(localhost string) (namespace, name string, ok bool) {
	parts := strings.Split(path.Clean(localhost), "/")
	if len(parts) < 3 || parts[0] != "operator" || !strings.HasSuffix(parts[len(parts)-1], ".json") {
		return "", "", false
	}
	return parts[1], strings.TrimSuffix(parts[len(parts)-1], ".json"), true
}

// spoDeclared tells whether the run declares SeccompProfile name in
// namespace (objects without a namespace match any).
func (idx *index) spoDeclared(namespace, name string) bool {
	for _, ns := range idx.spo[name] {
		if ns == "" || ns == namespace {
			return true
		}
	}
	return false
}

// apparmorDefinedIn returns the files that define profile name.
func (idx *index) apparmorDefinedIn(name string) []string { return idx.apparmorNames[name] }

// apparmorHint explains a miss when a file is named like the wanted
// profile but defines others.
func (idx *index) apparmorHint(name string) string {
	names := idx.apparmorFiles[name]
	if len(names) == 0 {
		return ""
	}
	names = append([]string(nil), names...)
	sort.Strings(names)
	return "a file called " + name + " exists but defines " + quoteList(names) + ": Kubernetes matches the profile name, not the file name"
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, ", ")
}
