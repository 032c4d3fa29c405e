package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSplitCommandAndFlags(t *testing.T) {
	cases := []struct {
		args    []string
		cmd     string
		bundle  string
		process string
	}{
		{[]string{"--root", "/run/x", "--log", "/l", "--log-format", "json", "create", "--bundle", "/b", "id"}, "create", "/b", ""},
		{[]string{"--systemd-cgroup", "run", "-b=/b2", "id"}, "run", "/b2", ""},
		{[]string{"--root", "/r", "exec", "--process", "/tmp/p.json", "--detach", "id"}, "exec", "", "/tmp/p.json"},
		{[]string{"exec", "-p", "/p", "id"}, "exec", "", "/p"},
		{[]string{"--debug", "state", "id"}, "state", "", ""},
		{[]string{"--version"}, "", "", ""},
	}
	for _, c := range cases {
		cmd, rest := splitCommand(c.args)
		if cmd != c.cmd {
			t.Errorf("%q: command %q, want %q", c.args, cmd, c.cmd)
		}
		if got := flagValue(rest, "--bundle", "-b"); got != c.bundle {
			t.Errorf("%q: bundle %q, want %q", c.args, got, c.bundle)
		}
		if got := flagValue(rest, "--process", "-p"); got != c.process {
			t.Errorf("%q: process %q, want %q", c.args, got, c.process)
		}
	}
}

func TestMissingFrom(t *testing.T) {
	// The bounding set of the VMs this wrapper exists for: all but bit 24.
	got := missingFrom(0x000001fffeffffff)
	if !reflect.DeepEqual(got, map[string]bool{"CAP_SYS_RESOURCE": true}) {
		t.Fatalf("missing = %v, want only CAP_SYS_RESOURCE", got)
	}
	if got := missingFrom(0x000001ffffffffff); len(got) != 0 {
		t.Fatalf("full bounding set: missing = %v, want none", got)
	}
}

const configJSON = `{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},
"capabilities":{"bounding":["CAP_CHOWN","CAP_SYS_RESOURCE"],"effective":["CAP_SYS_RESOURCE","CAP_KILL"],
"permitted":["CAP_CHOWN","CAP_SYS_RESOURCE"]},
"rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":1048576}]},"root":{"path":"rootfs"}}`

func TestEditConfigAndProcessFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(configJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := map[string]bool{"CAP_SYS_RESOURCE": true}
	if err := editFile(cfg, false, missing); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(cfg)
	if strings.Contains(string(data), "CAP_SYS_RESOURCE") {
		t.Fatalf("CAP_SYS_RESOURCE still present: %s", data)
	}
	// Large numbers must survive untouched.
	if !strings.Contains(string(data), "18446744073709551615") {
		t.Fatalf("rlimit changed: %s", data)
	}
	var doc struct {
		Process struct {
			Capabilities map[string][]string
		}
		Root struct{ Path string }
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"bounding": {"CAP_CHOWN"}, "effective": {"CAP_KILL"}, "permitted": {"CAP_CHOWN"}}
	if !reflect.DeepEqual(doc.Process.Capabilities, want) || doc.Root.Path != "rootfs" {
		t.Fatalf("got %+v", doc)
	}
	if st, _ := os.Stat(cfg); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode changed to %v", st.Mode())
	}

	proc := filepath.Join(dir, "process.json")
	os.WriteFile(proc, []byte(`{"args":["sh"],"capabilities":{"bounding":["CAP_SYS_RESOURCE","CAP_NET_RAW"]}}`), 0o600)
	if err := rewrite([]string{"--root", "/x", "exec", "--process", proc, "id"}); err != nil {
		t.Fatal(err)
	}
	if err := editFile(proc, true, missing); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(proc)
	if string(data) != `{"args":["sh"],"capabilities":{"bounding":["CAP_NET_RAW"]}}` {
		t.Fatalf("process file: %s", data)
	}
}

func TestUnchangedFileIsNotRewritten(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	in := `{"process": {"capabilities": {"bounding": ["CAP_CHOWN"]}}}`
	os.WriteFile(cfg, []byte(in), 0o644)
	if err := editFile(cfg, false, map[string]bool{"CAP_SYS_RESOURCE": true}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(cfg); string(data) != in {
		t.Fatalf("rewritten: %s", data)
	}
}

func TestBadJSONIsAnError(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"process":`), 0o644)
	if err := editFile(cfg, false, map[string]bool{"CAP_SYS_RESOURCE": true}); err == nil {
		t.Fatal("want an error for truncated JSON")
	}
}
