package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

func TestRunUnconfined(t *testing.T) {
	rep, err := Run(context.Background(), Options{Syscalls: []string{"getpid", "read", "mkdirat", "fork", "exit_group", "exit", "pause", "nosuchcall"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seccomp == "unknown" || len(rep.Capabilities.Bounding) == 0 {
		t.Fatalf("report %+v", rep)
	}
	want := map[string]string{"getpid": Allowed, "read": Allowed, "mkdirat": Allowed, "fork": Allowed, "exit_group": Allowed, "exit": Allowed, "pause": Unknown, "nosuchcall": Unknown}
	for _, s := range rep.Syscalls {
		if s.Result != want[s.Name] {
			t.Errorf("%s: %+v, want %s", s.Name, s, want[s.Name])
		}
	}
	if s, _ := rep.Find("read"); s.Errno != "EBADF" {
		t.Errorf("read with a poisoned fd: %+v", s)
	}
}

func TestMainJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"-syscalls", "getpid,close"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Syscalls) != 2 {
		t.Fatalf("%+v", rep)
	}
}

func TestCompare(t *testing.T) {
	base := &Report{Syscalls: []Syscall{{Name: "reboot", Result: Denied, Errno: "EPERM"}, {Name: "mkdir", Result: Allowed, Errno: "EFAULT"}}}
	conf := &Report{Syscalls: []Syscall{{Name: "reboot", Result: Denied, Errno: "EPERM"}, {Name: "mkdir", Result: Allowed, Errno: "ENOSYS"}}}
	Compare(conf, base)
	if conf.Syscalls[0].Result != Allowed || conf.Syscalls[1].Result != Denied {
		t.Fatalf("%+v", conf.Syscalls)
	}
}
