package sandbox

import (
	"context"
	"os/exec"
	"testing"
)

// BenchmarkStart measures starting /bin/true through the sandbox helper
// (re-exec, filter, execve) against plain os/exec in the same run.
func BenchmarkStart(b *testing.B) {
	prog := compile(b, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}`)
	b.Run("sandbox", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p, err := Start(context.Background(), Config{Path: "/bin/true", Filter: prog, NoNewPrivs: true})
			if err != nil {
				b.Fatal(err)
			}
			<-p.Done()
			p.Close()
		}
	})
	b.Run("baseline-exec", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := exec.Command("/bin/true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
