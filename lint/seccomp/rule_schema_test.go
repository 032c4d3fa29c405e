package seccomp

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/secprof/secprof/schemas"
)

func TestSchema(t *testing.T) {
	fs := lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ALOW",
  "defaultActon": 1,
  "flags": ["SECCOMP_FILTER_FLAG_LOG", 7],
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": "x"},
    {"action": "SCMP_ACT_ERRNO"},
    {"names": ["close"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 1, "op": "SCMP_CMP_EQUAL", "value": -1, "valeu": 2}]},
    {"names": ["close"], "action": "SCMP_ACT_ALLOW", "args": [{"op": "SCMP_CMP_EQ", "index": 0, "index": 1}]}
  ]
}`)
	expect(t, fs, "seccomp/schema",
		`2:20-2:35 error ~ defaultAction: "SCMP_ACT_ALOW" is not valid (did you mean "SCMP_ACT_ALLOW"?)`,
		`3:3-3:17 error ~ unknown field "defaultActon" (did you mean "defaultAction"?)`,
		`4:40-4:41 error ~ flags[1] must be a string, not an integer`,
		`6:65-6:68 error ~ syscalls[0].errnoRet must be an integer, not a string`,
		`7:5-7:6 error ~ rule syscalls[1] has no "names"`,
		`9:34-9:50 error ~ syscalls[2].args[0].op: "SCMP_CMP_EQUAL" is not valid (did you mean "SCMP_CMP_EQ"?)`,
		`9:61-9:63 error ~ syscalls[2].args[0].value: Must be greater than or equal to 0`,
		`9:65-9:72 error ~ unknown field "valeu" in syscalls[2].args[0] (did you mean "value"?)`,
		`10:97-10:104 warning ~ duplicate key "index"`,
	)
}

func TestSchemaSPO(t *testing.T) {
	fs := lintSrc(t, "", `apiVersion: security-profiles-operator.x-k8s.io/v1beta2
kind: SeccompProfile
metadata:
  name: demo
spec:
  defaultAction: SCMP_ACT_ERRNO
  baseProfileName: runc-v1.1.5
  syscalls:
    - action: SCMP_ACT_ERRNO
      errnoRet: "38"
      names: [clone3]
    - action: SCMP_ACT_ALLOW
      names:
        - 42
  archMapp: []
`)
	expect(t, fs, "seccomp/schema",
		`1:13-1:56 error ~ SeccompProfile demo: apiVersion: "security-profiles-operator.x-k8s.io/v1beta2" is not valid (did you mean "security-profiles-operator.x-k8s.io/v1beta1"?)`,
		`14:11-14:13 error ~ spec.syscalls[1].names[0] must be a string, not an integer`,
		`15:3-15:11 error ~ unknown field "archMapp" in spec (did you mean "archMap"?)`,
	)
}

// TestSchemasShareDefinitions keeps the SPO schema's definitions in step
// with the JSON profile schema: they describe the same fields (only errno
// differs, as the SPO CRD declares it a string).
func TestSchemasShareDefinitions(t *testing.T) {
	load := func(name string) map[string]any {
		b, ok := schemas.Get(name)
		if !ok {
			t.Fatalf("schema %s missing", name)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	a, b := load("seccomp")["definitions"].(map[string]any), load("spo-seccompprofile")["definitions"].(map[string]any)
	delete(a, "errno")
	delete(b, "errno")
	if !reflect.DeepEqual(a, b) {
		t.Error("schemas/seccomp.json and schemas/spo-seccompprofile.json definitions differ")
	}
	sp := load("spo-seccompprofile")["properties"].(map[string]any)["spec"].(map[string]any)["properties"].(map[string]any)
	for k := range load("seccomp")["properties"].(map[string]any) {
		if _, ok := sp[k]; !ok {
			t.Errorf("SPO spec lacks %q", k)
		}
	}
}
