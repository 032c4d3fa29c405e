package spo

import (
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzManifest feeds arbitrary registry answers to the artifact layout
// code: it must pick a layer or refuse, never panic.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.unknown.config.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:aa","size":10,"annotations":{"org.opencontainers.image.title":"profile.yaml"}}]}`))
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","size":3,"platform":{"os":"linux","architecture":"amd64"}}]}`))
	f.Add([]byte(`{"config":{"mediaType":"application/vnd.cncf.seccomp-profile.config.v1+json"},"layers":[]}`))
	f.Add([]byte(`{"layers":[{"platform":{"os":"linux","architecture":"arm","variant":""},"annotations":{"org.opencontainers.image.title":"profile-linux-arm.yaml"}}]}`))
	plats := []*ocispec.Platform{nil, {OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm"}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, pl := range plats {
			p := &Puller{Platform: pl}
			if isIndex("", raw) {
				_, _ = p.selectManifest(raw)
				continue
			}
			m, err := parseManifest(raw)
			if err != nil {
				continue
			}
			l, _, err := selectLayer(m, pl)
			if err == nil && l == nil {
				t.Fatal("no layer and no error")
			}
		}
	})
}
