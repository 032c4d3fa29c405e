package seccomp

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [1,}", "2:17 error ~ invalid JSON: invalid character '}'"},
		{"{\"defaultAction\": \"SCMP_ACT_ERRNO\",", "1:36 error ~ unexpected end of input"},
		{"{\"defaultAction\": \"SCMP_ACT_ERRNO\" \"syscalls\": []}", "1:36 error ~ expected ',' or '}'"},
		{"apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nspec:\n  defaultAction: [\n", "4:1 error ~ invalid YAML: did not find expected node content"},
		{"kind: SeccompProfile\nspec:\n\tdefaultAction: x\n", "3:1 error ~ invalid YAML: found character that cannot start any token"},
	} {
		fs := lintSrc(t, "", tc.src)
		expect(t, fs, "seccomp/parse", tc.want)
		only(t, fs, "seccomp/parse")
	}
}

func TestParseNeverPanics(t *testing.T) {
	for _, src := range []string{
		"{\"syscalls\": " + strings.Repeat("[", 100000),
		"kind: SeccompProfile\nspec: &a [*a, *a]\n",
		"kind: SeccompProfile\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
	} {
		ParseBytes("x", []byte(src))
	}
}
