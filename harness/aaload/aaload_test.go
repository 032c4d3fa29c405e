package aaload

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestLoaded(t *testing.T) {
	h := Host{ProfilesFile: filepath.Join(t.TempDir(), "profiles")}
	if _, known := h.Loaded("x"); known {
		t.Error("an unreadable list is not known")
	}
	os.WriteFile(h.ProfilesFile, []byte("docker-default (enforce)\nk8s-apparmor-example-deny-write (complain)\n"), 0o644)
	if found, known := h.Loaded("k8s-apparmor-example-deny-write"); !found || !known {
		t.Error("loaded profile not found")
	}
	if found, known := h.Loaded("k8s-apparmor-example"); found || !known {
		t.Error("prefix taken for a profile")
	}
}

// allLoaded decides what Unload may remove: only apparmor_parser -N runs,
// nothing is loaded into the kernel.
func TestAllLoaded(t *testing.T) {
	parser, err := exec.LookPath("apparmor_parser")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("apparmor_parser is not installed (Debian package apparmor)")
		}
		t.Skip("apparmor_parser is not installed (Debian package apparmor)")
	}
	profile := "../../fixtures/apparmor/k8s-apparmor-example-deny-write"
	h := Host{ProfilesFile: filepath.Join(t.TempDir(), "profiles")}
	os.WriteFile(h.ProfilesFile, []byte("docker-default (enforce)\n"), 0o644)
	if h.allLoaded(context.Background(), parser, profile) {
		t.Error("a profile the kernel lacks counted as loaded")
	}
	os.WriteFile(h.ProfilesFile, []byte("docker-default (enforce)\nk8s-apparmor-example-deny-write (enforce)\n"), 0o644)
	if !h.allLoaded(context.Background(), parser, profile) {
		t.Error("a loaded profile counted as new")
	}
	if h.allLoaded(context.Background(), parser, filepath.Join(t.TempDir(), "missing")) {
		t.Error("an unreadable file counted as loaded")
	}
}

func TestLoadDirUnloadErrors(t *testing.T) {
	// Without apparmor_parser that is an error too.
	if _, err := (Host{}).LoadDir(context.Background(), filepath.Join(t.TempDir(), "missing"), t.Logf); err == nil {
		t.Error("a missing directory loaded")
	}
	if err := (Host{}).Unload(context.Background(), nil); err != nil {
		t.Errorf("unloading nothing: %v", err)
	}
}
