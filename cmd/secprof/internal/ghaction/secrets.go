package ghaction

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// minSecretLen keeps short values (a "1", a user name) from being masked:
// masking them would turn every occurrence in the log into ***.
const minSecretLen = 8

// secretKeys are kubeconfig keys whose values are credentials.
var secretKeys = map[string]bool{
	"token": true, "password": true, "client-key-data": true,
	// auth-provider config (OIDC, legacy GCP/Azure)
	"id-token": true, "refresh-token": true, "access-token": true, "client-secret": true,
}

// KubeconfigSecrets returns the credentials in a kubeconfig (tokens,
// passwords, client keys — raw and base64-decoded, line by line, as
// GitHub masks one line at a time — and the env values of exec plugins)
// for AddMask. It never fails: what does not parse has nothing to mask
// beyond the whole content's long lines, which are returned instead.
func KubeconfigSecrets(data []byte) []string {
	set := map[string]bool{}
	add := func(v string) {
		for _, line := range strings.Split(v, "\n") {
			line = strings.TrimSpace(line)
			if len(line) >= minSecretLen && !strings.HasPrefix(line, "-----") {
				set[line] = true
			}
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// Unparsable: mask every long token-looking line rather than
		// risk printing a credential.
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) > 0 && len(f[len(f)-1]) >= 20 {
				add(f[len(f)-1])
			}
		}
		return sorted(set)
	}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 64 {
			return
		}
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				switch {
				case secretKeys[k.Value] && v.Kind == yaml.ScalarNode:
					add(v.Value)
					if strings.HasSuffix(k.Value, "-data") {
						if dec, err := base64.StdEncoding.DecodeString(v.Value); err == nil {
							add(string(dec))
						}
					}
				case k.Value == "env" && v.Kind == yaml.SequenceNode:
					// exec plugin env: [{name, value}]
					for _, e := range v.Content {
						if e.Kind != yaml.MappingNode {
							continue
						}
						for j := 0; j+1 < len(e.Content); j += 2 {
							if e.Content[j].Value == "value" {
								add(e.Content[j+1].Value)
							}
						}
					}
				default:
					walk(v, depth+1)
				}
			}
		}
	}
	walk(&doc, 0)
	return sorted(set)
}

// KubeconfigFiles lists the kubeconfig files a Kubernetes client would
// read: $KUBECONFIG (a list), else ~/.kube/config.
func KubeconfigFiles(getenv func(string) string) []string {
	if v := getenv("KUBECONFIG"); v != "" {
		var out []string
		for _, p := range filepath.SplitList(v) {
			if p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	if home := getenv("HOME"); home != "" {
		return []string{filepath.Join(home, ".kube", "config")}
	}
	return nil
}

// maxKubeconfig bounds what is read to find secrets.
const maxKubeconfig = 4 << 20

// ReadKubeconfigSecrets reads the kubeconfig files that exist and returns
// their secrets.
func ReadKubeconfigSecrets(files []string) []string {
	set := map[string]bool{}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || !st.Mode().IsRegular() || st.Size() > maxKubeconfig {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range KubeconfigSecrets(b) {
			set[s] = true
		}
	}
	return sorted(set)
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
