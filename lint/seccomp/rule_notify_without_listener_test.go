package seccomp

import "testing"

func TestNotifyWithoutListener(t *testing.T) {
	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["mkdir", "write"], "action": "SCMP_ACT_NOTIFY"}]
}`), "seccomp/notify-without-listener",
		"3:36-3:43 error ~ SCMP_ACT_NOTIFY on write: runc refuses it",
		"3:56-3:73 error ~ SCMP_ACT_NOTIFY without listenerPath")
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/agent.sock"}`),
		"seccomp/notify-without-listener", "1:19-1:36 error ~ runc refuses it")
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}`),
		"seccomp/notify-without-listener", "1:37-1:51 info ~ no rule uses SCMP_ACT_NOTIFY")
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}`),
		"seccomp/notify-without-listener")
}
