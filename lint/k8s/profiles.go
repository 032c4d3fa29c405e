package k8s

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Annotation keys that set profiles before the securityContext fields
// existed.
const (
	SeccompPodAnnotation              = "seccomp.security.alpha.kubernetes.io/pod"
	SeccompContainerAnnotationPrefix  = "container.seccomp.security.alpha.kubernetes.io/"
	AppArmorContainerAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"
)

// Profile types of the securityContext fields.
const (
	TypeRuntimeDefault = "RuntimeDefault"
	TypeLocalhost      = "Localhost"
	TypeUnconfined     = "Unconfined"
)

// Mechanism is seccomp or AppArmor.
type Mechanism int

const (
	Seccomp Mechanism = iota
	AppArmor
)

func (m Mechanism) String() string {
	if m == AppArmor {
		return "AppArmor"
	}
	return "seccomp"
}

// field is the securityContext field of the mechanism.
func (m Mechanism) field() string {
	if m == AppArmor {
		return "appArmorProfile"
	}
	return "seccompProfile"
}

// Source tells where a setting was written.
type Source int

const (
	PodField Source = iota
	ContainerField
	PodAnnotation
	ContainerAnnotation
)

// IsAnnotation reports whether the setting comes from an annotation.
func (s Source) IsAnnotation() bool { return s == PodAnnotation || s == ContainerAnnotation }

// Setting is one profile choice of a workload: a seccompProfile or
// appArmorProfile field, or one of the annotations that preceded them.
type Setting struct {
	Mech      Mechanism
	Source    Source
	Container *Container // nil for pod-level settings
	// Type is RuntimeDefault, Localhost or Unconfined; "" when what is
	// written is none of them (see Raw).
	Type string
	// Raw is the type (fields) or the value (annotations) as written.
	Raw string
	// Localhost is the localhostProfile (the part after "localhost/" of
	// an annotation); LocalhostSet tells whether it was written at all.
	Localhost    string
	LocalhostSet bool
	// Key is the field key or the annotation key; Value is the type value
	// (fields) or the annotation value; LocalhostNode the localhostProfile
	// value (the annotation value for annotations). Any may be nil.
	Key           *yaml.Node
	Value         *yaml.Node
	LocalhostNode *yaml.Node
	// Annotation is the annotation key for annotation settings.
	Annotation string
}

// Node is what findings about the setting point at.
func (s *Setting) Node() *yaml.Node {
	if s.Value != nil {
		return s.Value
	}
	return s.Key
}

// Describe names the setting for messages, e.g.
// `spec.securityContext.seccompProfile` or `annotation container.apparmor…/app`.
func (s *Setting) Describe() string {
	switch s.Source {
	case PodField:
		return "spec.securityContext." + s.Mech.field()
	case ContainerField:
		return s.Container.Ref() + " securityContext." + s.Mech.field()
	default:
		return "annotation " + s.Annotation
	}
}

// Profile renders the setting as a field value, e.g. "Localhost
// profiles/audit.json".
func (s *Setting) Profile() string {
	if s.Type == TypeLocalhost {
		return "Localhost " + s.Localhost
	}
	if s.Type == "" {
		return fmt.Sprintf("%q", s.Raw)
	}
	return s.Type
}

// Confines reports whether the setting asks for a real profile (the
// runtime's default or a Localhost one) rather than none.
func (s *Setting) Confines() bool { return s.Type == TypeRuntimeDefault || s.Type == TypeLocalhost }

// fieldSetting reads a seccompProfile / appArmorProfile field of sc.
func fieldSetting(m Mechanism, src Source, c *Container, sc *yaml.Node) *Setting {
	k, v := get(sc, m.field())
	if k == nil {
		return nil
	}
	s := &Setting{Mech: m, Source: src, Container: c, Key: k}
	if tk, tv := get(v, "type"); tk != nil {
		s.Value = tv
		s.Raw, _ = scalar(tv)
		switch s.Raw {
		case TypeRuntimeDefault, TypeLocalhost, TypeUnconfined:
			s.Type = s.Raw
		}
	}
	if lk, lv := get(v, "localhostProfile"); lk != nil {
		s.LocalhostNode = lv
		s.Localhost, s.LocalhostSet = scalar(lv)
		if s.LocalhostNode == nil {
			s.LocalhostNode = lk
		}
	}
	return s
}

// Annotation is one annotation of the pod template.
type Annotation struct {
	Key        string
	Value      string
	KeyNode    *yaml.Node
	ValueNode  *yaml.Node
	OnTemplate bool // false when it sits on a controller's own metadata
}

// annotations returns the annotations of metadata node md.
func annotations(md *yaml.Node, onTemplate bool) []Annotation {
	m := deref(value(md, "annotations"))
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out []Annotation
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			continue
		}
		val, _ := scalar(v)
		out = append(out, Annotation{Key: k.Value, Value: val, KeyNode: k, ValueNode: v, OnTemplate: onTemplate})
	}
	return out
}

// profileAnnotation tells whether key is a profile annotation, for which
// mechanism and which container ("" for the pod-wide seccomp one).
func profileAnnotation(key string) (m Mechanism, container string, ok bool) {
	switch {
	case key == SeccompPodAnnotation:
		return Seccomp, "", true
	case strings.HasPrefix(key, SeccompContainerAnnotationPrefix):
		return Seccomp, key[len(SeccompContainerAnnotationPrefix):], true
	case strings.HasPrefix(key, AppArmorContainerAnnotationPrefix):
		return AppArmor, key[len(AppArmorContainerAnnotationPrefix):], true
	}
	return 0, "", false
}

// annotationSetting parses a profile annotation's value: runtime/default,
// docker/default (seccomp's older spelling of it), unconfined or
// localhost/<profile>.
func annotationSetting(m Mechanism, a Annotation, c *Container) *Setting {
	s := &Setting{Mech: m, Source: PodAnnotation, Container: c, Raw: a.Value, Key: a.KeyNode, Value: a.ValueNode, Annotation: a.Key}
	if c != nil || strings.HasPrefix(a.Key, "container.") {
		s.Source = ContainerAnnotation
	}
	switch {
	case a.Value == "runtime/default", m == Seccomp && a.Value == "docker/default":
		s.Type = TypeRuntimeDefault
	case a.Value == "unconfined":
		s.Type = TypeUnconfined
	case strings.HasPrefix(a.Value, "localhost/"):
		s.Type = TypeLocalhost
		s.Localhost, s.LocalhostSet = strings.TrimPrefix(a.Value, "localhost/"), true
		s.LocalhostNode = a.ValueNode
	}
	return s
}

// Settings returns every profile setting of w: the pod-level fields and
// annotations first, then each container's. Annotations on a controller's
// own metadata are not settings (they reach no pod).
func (w *Workload) Settings() []*Setting {
	// Every rule asks; compute once. A workload is checked by one
	// goroutine.
	if w.settings == nil {
		w.settings = w.settingsOf()
	}
	return w.settings
}

func (w *Workload) settingsOf() []*Setting {
	out := []*Setting{}
	for _, m := range []Mechanism{Seccomp, AppArmor} {
		if s := fieldSetting(m, PodField, nil, w.SecurityContext); s != nil {
			out = append(out, s)
		}
	}
	for _, a := range annotations(w.Meta, true) {
		m, name, ok := profileAnnotation(a.Key)
		if !ok {
			continue
		}
		var c *Container
		if name != "" {
			if c = w.Container(name); c == nil {
				// Names no container: it configures nothing (see
				// apparmor-annotation-unknown-container), but its value is
				// still checked.
				c = &Container{Name: name, Index: -1}
			}
		}
		out = append(out, annotationSetting(m, a, c))
	}
	for _, c := range w.Containers {
		for _, m := range []Mechanism{Seccomp, AppArmor} {
			if s := fieldSetting(m, ContainerField, c, c.SecurityContext); s != nil {
				out = append(out, s)
			}
		}
	}
	return out
}

// EffectiveField returns the field setting that applies to container c for
// mechanism m: the container's own, else the pod's (nil when neither).
func (w *Workload) EffectiveField(c *Container, m Mechanism) *Setting {
	if s := fieldSetting(m, ContainerField, c, c.SecurityContext); s != nil {
		return s
	}
	return fieldSetting(m, PodField, nil, w.SecurityContext)
}

// EffectiveAnnotation returns the annotation setting that applies to c for
// m: the container annotation, else (seccomp only) the pod annotation.
func (w *Workload) EffectiveAnnotation(c *Container, m Mechanism) *Setting {
	var pod *Setting
	for _, a := range annotations(w.Meta, true) {
		am, name, ok := profileAnnotation(a.Key)
		if !ok || am != m {
			continue
		}
		if name == "" {
			pod = annotationSetting(m, a, nil)
		} else if name == c.Name {
			return annotationSetting(m, a, c)
		}
	}
	return pod
}
