package spo

import "testing"

func TestParseBaseRef(t *testing.T) {
	const d = "sha256:380b6e7b1b7cb8d3f3cf1fc1a5e6a1a9c39b4d1b2c5b5a29c8d0f1e2a3b4c5d6"
	for _, tc := range []struct {
		in                                string
		oci, pinned                       bool
		name, registry, repo, tag, digest string
		err                               bool
	}{
		{in: "runc-v1.1.5", name: "runc-v1.1.5"},
		{in: "oci://ghcr.io/security-profiles/runc:v1.1.5", oci: true, registry: "ghcr.io", repo: "security-profiles/runc", tag: "v1.1.5"},
		{in: "oci://ghcr.io/security-profiles/runc", oci: true, registry: "ghcr.io", repo: "security-profiles/runc", tag: "latest"},
		{in: "oci://ghcr.io/security-profiles/runc@" + d, oci: true, pinned: true, registry: "ghcr.io", repo: "security-profiles/runc", digest: d},
		{in: "oci://localhost:5000/p/runc:v1@" + d, oci: true, pinned: true, registry: "localhost:5000", repo: "p/runc", tag: "v1", digest: d},
		{in: "oci://ghcr.io", err: true},
		{in: "oci://ghcr.io/UPPER/case:v1", err: true},
		{in: "oci://ghcr.io/x/y@sha256:short", err: true},
		{in: "", err: true},
	} {
		r, err := ParseBaseRef(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if tc.err {
			continue
		}
		if r.OCI != tc.oci || r.Pinned() != tc.pinned || r.Name != tc.name || r.Registry != tc.registry || r.Repository != tc.repo || r.Tag != tc.tag || r.Digest != tc.digest {
			t.Errorf("%q: got %+v", tc.in, r)
		}
	}
}

func FuzzParseBaseRef(f *testing.F) {
	for _, s := range []string{"runc", "oci://ghcr.io/a/b:c", "oci://h/r@sha256:0000000000000000000000000000000000000000000000000000000000000000", "oci://[::1]:5000/x:y@", "oci://a/b:c@d:e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseBaseRef(s)
		if err != nil {
			return
		}
		if r.OCI && (r.Registry == "" || r.Repository == "" || (r.Tag == "" && r.Digest == "")) {
			t.Fatalf("%q parsed into an incomplete reference %+v", s, r)
		}
		if !r.OCI && r.Name != s {
			t.Fatalf("%q: name %q", s, r.Name)
		}
	})
}
