package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/clone-namespaces", Severity: lint.Warning,
		Summary: "clone, clone3 or unshare allowed without a filter on the namespace flags: the container can create namespaces (a user namespace unlocks kernel code guarded by CAP_SYS_ADMIN)"},
		checkCloneNamespaces)
}

// nsFlags are CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET, the
// mask Docker's default profile tests clone's flags against.
const nsFlags = 0x7E020000

// filtersNamespaces reports whether the argument conditions of a clone or
// unshare rule only let calls through that create no namespace: a
// SCMP_CMP_MASKED_EQ on the flags argument whose mask covers the namespace
// bits and whose expected value has none of them.
func filtersNamespaces(s *Syscall) bool {
	for _, a := range s.Args {
		if a.Op.V != "SCMP_CMP_MASKED_EQ" || a.Index.V > 1 {
			continue // flags are argument 0 (argument 1 on s390x)
		}
		if a.Value.V&nsFlags != 0 && a.ValueTwo.V&a.Value.V&nsFlags == 0 {
			return true
		}
	}
	return false
}

func checkCloneNamespaces(ps *pass) {
	e := ps.env()
	for _, s := range ps.p.Syscalls {
		if !Permits(s.Action.V) {
			continue
		}
		if s.Includes != nil && len(s.Includes.Caps.Items) > 0 && e.keeps("includes") {
			continue // only for containers granted the capability
		}
		for _, n := range ps.names(s) {
			switch n.V {
			case "clone":
				if !filtersNamespaces(s) {
					ps.add(ps.at(n.At, "clone is allowed whatever its flags: the container can create namespaces, including user namespaces").
						WithFix(`allow clone only with {"index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 2114060288, "valueTwo": 0} (no CLONE_NEW* flag), as Docker's default profile does`))
				}
			case "clone3":
				ps.add(ps.at(n.At, "clone3 is allowed: its flags live in memory seccomp cannot inspect, so namespace creation cannot be filtered").
					WithFix(`deny clone3 with "action": "SCMP_ACT_ERRNO", "errnoRet": 38 (ENOSYS) so libc falls back to the filtered clone`))
			case "unshare":
				// Unfiltered unshare is seccomp/dangerous-syscall's; here
				// only argument filters that miss the namespace flags.
				if len(s.Args) > 0 && !filtersNamespaces(s) {
					ps.add(ps.at(n.At, "unshare is allowed with argument conditions that do not exclude the CLONE_NEW* flags"))
				}
			}
		}
	}
}
