package seccomp

import "testing"

func TestInvalidArgument(t *testing.T) {
	fs := lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "op": "SCMP_CMP_EQ", "value": 1}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 2114060288}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 0, "op": "SCMP_CMP_GE", "value": 1},
      {"index": 0, "op": "SCMP_CMP_LE", "value": 5, "valueTwo": 3}
    ]}
  ]
}`)
	expect(t, fs, "seccomp/invalid-argument",
		"4:74-4:75 error ~ argument index 6",
		"5:82-5:102 warning ~ SCMP_CMP_MASKED_EQ without valueTwo: it tests (arg & 2114060288) == 0",
		"8:7-8:67 error ~ second comparison of argument 0 in one rule (first at line 7)",
		"8:65-8:66 info ~ valueTwo is only used by SCMP_CMP_MASKED_EQ")
}
