package spo

import (
	"fmt"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// OCIPrefix marks a baseProfileName that names an OCI artifact rather than a
// SeccompProfile object of the cluster.
const OCIPrefix = "oci://"

// BaseRef is a parsed baseProfileName.
type BaseRef struct {
	Raw string
	// OCI is set for oci:// references; Name is the object name otherwise.
	OCI  bool
	Name string
	// Registry, Repository, Tag and Digest of an OCI reference. Tag is
	// "latest" when neither a tag nor a digest is given, as SPO (and every
	// registry client) assumes.
	Registry, Repository, Tag, Digest string
}

// Pinned reports whether an OCI reference names its artifact by digest, so
// that what is pulled cannot change under the same name.
func (r BaseRef) Pinned() bool { return r.OCI && r.Digest != "" }

// Artifact returns the reference without the oci:// prefix.
func (r BaseRef) Artifact() string { return strings.TrimPrefix(r.Raw, OCIPrefix) }

func (r BaseRef) String() string { return r.Raw }

// ParseBaseRef parses a baseProfileName.
func ParseBaseRef(s string) (BaseRef, error) {
	ref := BaseRef{Raw: s}
	rest, ok := strings.CutPrefix(s, OCIPrefix)
	if !ok {
		if s == "" {
			return ref, fmt.Errorf("empty baseProfileName")
		}
		ref.Name = s
		return ref, nil
	}
	ref.OCI = true
	tag := ""
	// registry.ParseReference drops a tag given together with a digest;
	// keep it for messages.
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		if slash := strings.LastIndexByte(rest[:at], '/'); slash >= 0 {
			if colon := strings.LastIndexByte(rest[slash:at], ':'); colon >= 0 {
				tag = rest[slash+colon+1 : at]
			}
		}
	}
	r, err := registry.ParseReference(rest)
	if err != nil {
		return ref, fmt.Errorf("invalid OCI reference %q: %v", rest, err)
	}
	ref.Registry, ref.Repository = r.Registry, r.Repository
	if d, err := r.Digest(); err == nil {
		ref.Digest = d.String()
		ref.Tag = tag
	} else {
		ref.Tag = r.ReferenceOrDefault()
	}
	return ref, nil
}
