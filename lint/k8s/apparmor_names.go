package k8s

import (
	"github.com/secprof/secprof/lint/apparmor"
)

// defaultProfileNamer reads AppArmor profile names with the AppArmor
// package's parser.
var defaultProfileNamer ProfileNamer = profileNames

// profileNames lists the profiles a policy file defines, as the kernel
// names them: top-level profiles by their name (or attachment path), child
// profiles and hats as parent//child. Syntax errors elsewhere in the file
// do not hide the profiles the parser recovered.
func profileNames(content []byte) ([]string, error) {
	f, err := apparmor.Parse("", content)
	if f == nil {
		return nil, err
	}
	var names []string
	var walk func(parent string, stmts []apparmor.Stmt, depth int)
	walk = func(parent string, stmts []apparmor.Stmt, depth int) {
		if depth > 16 {
			return
		}
		for _, s := range stmts {
			p, ok := s.(*apparmor.Profile)
			if !ok || p.Name.Text == "" {
				continue
			}
			name := p.Name.Text
			if parent != "" {
				name = parent + "//" + name
			}
			names = append(names, name)
			walk(name, p.Body, depth+1)
		}
	}
	walk("", f.Stmts, 0)
	return names, err
}
