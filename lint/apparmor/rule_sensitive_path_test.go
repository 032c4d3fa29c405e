package apparmor

import (
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestSensitivePath(t *testing.T) {
	runRuleCases(t, "apparmor/sensitive-path", []ruleCase{
		{"shadow write", prof("  /etc/shadow w,\n"), []int{4}},
		{"shadow read", prof("  /etc/shadow r,\n"), []int{4}},
		{"etc glob", prof("  /etc/** rw,\n"), []int{4}},
		{"etc glob denied", prof("  /etc/** rw,\n  deny /etc/{shadow,gshadow,passwd,sudoers,sudoers.d/**,ld.so.preload,crontab,cron.d/**} rw,\n"), nil},
		{"sysrq", prof("  @{PROC}/sysrq-trigger w,\n"), []int{4}},
		{"kcore read", prof("  @{PROC}/kcore r,\n"), []int{4}},
		{"securityfs", prof("  /sys/kernel/security/** w,\n"), []int{4}},
		{"dev mem", prof("  /dev/mem rw,\n"), []int{4}},
		{"docker socket", prof("  /run/docker.sock rw,\n"), []int{4}},
		{"harmless", prof("  /etc/hosts r,\n  /tmp/** rw,\n  /dev/null rw,\n"), nil},
		{"seed reads shadow", prof("  file,\n  deny /** w,\n"), []int{4}},
		{"seed with shadow denied", prof("  file,\n  deny /** w,\n  deny /etc/{,g}shadow r,\n  deny @{PROC}/kcore r,\n  deny /dev/{,k}mem r,\n"), nil},
		{"broad write not repeated", prof("  /** w,\n"), nil},
	})
	fs := lintPolicy(t, prof("  /etc/shadow r,\n  /etc/shadow w,\n"))
	for _, f := range fs {
		if f.Rule != "apparmor/sensitive-path" {
			continue
		}
		want := lint.Error
		if f.Line == 4 {
			want = lint.Warning
		}
		if f.Severity != want {
			t.Errorf("line %d: severity %v, want %v (reads warn, writes are errors)", f.Line, f.Severity, want)
		}
	}
}
