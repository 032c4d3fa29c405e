package seccomp

import "testing"

func TestUnknownArchitecture(t *testing.T) {
	fs := lintSrc(t, Docker, `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AMD64", "SCMP_ARCH_X68"],
  "syscalls": [{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["x86_64", "amd64"]}}]
}`)
	expect(t, fs, "seccomp/unknown-architecture",
		`3:41-3:58 error ~ unknown architecture "SCMP_ARCH_AMD64" in architectures: the runtime refuses the profile (did you mean "SCMP_ARCH_X86_64"?)`,
		`3:60-3:75 error ~ (did you mean "SCMP_ARCH_X86"?)`,
		`4:94-4:102 error ~ includes/excludes arches use Go's names (amd64, arm64, x86, x32, …), so this condition never matches (did you mean "amd64"?)`)
	// the schema leaves architecture values to this rule
	expect(t, fs, "seccomp/schema")
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_LOONGARCH64"]}`),
		"seccomp/unknown-architecture", "1:55-1:78 warning ~ not supported by libseccomp")
}
