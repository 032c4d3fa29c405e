package k8s

import (
	"reflect"
	"testing"
)

func TestProfileNames(t *testing.T) {
	src := `#include <tunables/global>

profile k8s-apparmor-example-deny-write flags=(attach_disconnected) {
  #include <abstractions/base>
  file,
  deny /** w,
  profile child {
    file,
  }
  ^hat {
  }
}

/usr/bin/foo {
}

profile "quoted name" /usr/bin/bar {
}
`
	names, err := profileNames([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"k8s-apparmor-example-deny-write", "k8s-apparmor-example-deny-write//child", "k8s-apparmor-example-deny-write//hat", "/usr/bin/foo", "quoted name"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
}
