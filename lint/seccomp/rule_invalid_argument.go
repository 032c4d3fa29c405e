package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/invalid-argument", Severity: lint.Error,
		Summary: "an argument comparison libseccomp rejects or misreads: index outside 0–5, SCMP_CMP_MASKED_EQ without valueTwo, two comparisons of one argument in a rule"},
		checkInvalidArgument)
}

func checkInvalidArgument(ps *pass) {
	for _, s := range ps.p.Syscalls {
		seen := map[uint64]*Arg{}
		for _, a := range s.Args {
			if a.Index.Set && a.Index.V > 5 {
				ps.add(ps.at(a.Index.At, "argument index %d: syscalls have 6 arguments (index 0 to 5); libseccomp rejects the rule and the runtime fails to create the container", a.Index.V))
				continue
			}
			if a.Op.V == "SCMP_CMP_MASKED_EQ" && !a.ValueTwo.Set {
				ps.add(ps.at(a.Op.At, "SCMP_CMP_MASKED_EQ without valueTwo: it tests (arg & %d) == 0, as valueTwo defaults to 0", a.Value.V).
					WithSeverity(lint.Warning).
					WithFix(`write "valueTwo": 0 if that is meant; value is the mask, valueTwo the expected masked value`))
			}
			if a.Op.Set && a.Op.V != "SCMP_CMP_MASKED_EQ" && a.ValueTwo.Set && a.ValueTwo.V != 0 {
				ps.add(ps.at(a.ValueTwo.At, "valueTwo is only used by SCMP_CMP_MASKED_EQ; %s ignores it", a.Op.V).WithSeverity(lint.Info))
			}
			if !a.Index.Set {
				continue
			}
			if prev, ok := seen[a.Index.V]; ok {
				ps.add(ps.at(a.At, "second comparison of argument %d in one rule (first at %s): libseccomp rejects it, and runc then adds each comparison as a rule of its own, so they are OR'd instead of AND'd", a.Index.V, line(prev.At)).
					WithFix("split the rule in two, or use one comparison of argument %d", a.Index.V))
				continue
			}
			seen[a.Index.V] = a
		}
	}
}
