package ghaction

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWorkDir(t *testing.T) {
	ws := t.TempDir()
	ws, _ = filepath.EvalSymlinks(ws)
	outside := t.TempDir()
	for _, d := range []string{"sub/dir", "real"} {
		if err := os.MkdirAll(filepath.Join(ws, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(outside, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(ws, "real"), filepath.Join(ws, "inside-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		"":            ws,
		".":           ws,
		"sub/dir":     filepath.Join(ws, "sub/dir"),
		"sub/../real": filepath.Join(ws, "real"),
		"inside-link": filepath.Join(ws, "real"),
		ws + "/sub":   filepath.Join(ws, "sub"),
	} {
		got, err := WorkDir(ws, dir)
		if err != nil || got != want {
			t.Errorf("WorkDir(%q) = %q, %v; want %q", dir, got, err, want)
		}
	}
	for _, dir := range []string{"..", "../..", "sub/../../x", "escape", "escape/sub", outside, "/etc"} {
		if _, err := WorkDir(ws, dir); !errors.Is(err, ErrNotInWorkspace) {
			t.Errorf("WorkDir(%q): %v, want ErrNotInWorkspace", dir, err)
		}
	}
	if _, err := WorkDir(ws, "missing"); err == nil {
		t.Error("missing directory accepted")
	}
	if _, err := WorkDir(ws, "file"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as directory: %v", err)
	}
}

func TestWorkspace(t *testing.T) {
	dir := t.TempDir()
	real, _ := filepath.EvalSymlinks(dir)
	link := filepath.Join(t.TempDir(), "ws")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if got, err := Workspace(link); err != nil || got != real {
		t.Errorf("Workspace(link) = %q, %v; want %q", got, err, real)
	}
	t.Chdir(dir)
	if got, err := Workspace(""); err != nil || got != real {
		t.Errorf("Workspace(\"\") = %q, %v", got, err)
	}
	if _, err := Workspace(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing workspace accepted")
	}
}

func TestInWorkspace(t *testing.T) {
	ws, _ := filepath.EvalSymlinks(t.TempDir())
	t.Chdir(ws)
	if err := os.Symlink("/etc/passwd", ".secprof.yaml"); err != nil {
		t.Fatal(err)
	}
	if err := InWorkspace(ws, ".secprof.yaml", "config"); !errors.Is(err, ErrNotInWorkspace) {
		t.Errorf("link out of the workspace: %v", err)
	}
	if err := InWorkspace(ws, "conf/x.yaml", "config"); err != nil {
		t.Errorf("missing file inside: %v", err)
	}
	if err := InWorkspace(ws, "../x.yaml", "config"); err == nil {
		t.Error("../ accepted")
	}
}

func TestKubeconfigSecrets(t *testing.T) {
	key := "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAq1Qy7Xexamplekeymaterialline1\nAnotherLineOfKeyMaterial0123456789abcdef\n-----END RSA PRIVATE KEY-----\n"
	kc := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: Q0FDRVJU}
users:
- name: token-user
  user: {token: eyJhbGciOiJSUzI1NiJ9.payload.signature}
- name: key-user
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: ` + base64.StdEncoding.EncodeToString([]byte(key)) + `
- name: basic
  user: {username: admin, password: hunter2hunter2}
- name: oidc
  user:
    auth-provider:
      name: oidc
      config: {id-token: idtokenvalue123, refresh-token: refreshvalue456, client-secret: shh-secret-789, client-id: public-id}
- name: exec
  user:
    exec:
      command: get-token
      env: [{name: API_KEY, value: exec-env-secret-000}, {name: DEBUG, value: "1"}]
`
	got := KubeconfigSecrets([]byte(kc))
	want := []string{
		"eyJhbGciOiJSUzI1NiJ9.payload.signature", "hunter2hunter2", "idtokenvalue123", "refreshvalue456",
		"shh-secret-789", "exec-env-secret-000", base64.StdEncoding.EncodeToString([]byte(key)),
		"MIIEpAIBAAKCAQEAq1Qy7Xexamplekeymaterialline1", "AnotherLineOfKeyMaterial0123456789abcdef",
	}
	set := map[string]bool{}
	for _, s := range got {
		set[s] = true
		if strings.Contains(s, "\n") {
			t.Errorf("multi-line mask %q", s)
		}
	}
	for _, w := range want {
		if !set[w] {
			t.Errorf("not masked: %q", w)
		}
	}
	for _, public := range []string{"admin", "public-id", "1", "https://10.0.0.1:6443", "Q0VSVA==", "-----BEGIN RSA PRIVATE KEY-----"} {
		if set[public] {
			t.Errorf("masked a public or short value %q", public)
		}
	}

	// Unparsable: long values are masked all the same.
	got = KubeconfigSecrets([]byte("users:\n  - token: abcdefghijklmnopqrstuvwxyz0123\n\t{bad"))
	if len(got) != 1 || got[0] != "abcdefghijklmnopqrstuvwxyz0123" {
		t.Errorf("unparsable: %q", got)
	}
}

func TestReadKubeconfigSecrets(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, []byte("users: [{user: {token: tokentokentoken}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KUBECONFIG": a + string(os.PathListSeparator) + filepath.Join(dir, "missing"), "HOME": dir}
	files := KubeconfigFiles(func(k string) string { return env[k] })
	if len(files) != 2 {
		t.Fatalf("files %v", files)
	}
	if got := ReadKubeconfigSecrets(files); len(got) != 1 || got[0] != "tokentokentoken" {
		t.Errorf("secrets %q", got)
	}
	delete(env, "KUBECONFIG")
	if files := KubeconfigFiles(func(k string) string { return env[k] }); len(files) != 1 || files[0] != filepath.Join(dir, ".kube", "config") {
		t.Errorf("default kubeconfig %v", files)
	}
}
