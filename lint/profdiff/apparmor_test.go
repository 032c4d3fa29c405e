package profdiff

import (
	"strings"
	"testing"
)

// The seed's deny-write profile, without includes so the test does not
// depend on /etc/apparmor.d.
const denyWrite = `profile k8s-apparmor-example-deny-write flags=(attach_disconnected) {
  file,
  # Deny all file writes.
  deny /** w,
}
`

func TestCompareAppArmor(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		want     []want
	}{
		{"identical", denyWrite, denyWrite, nil},
		{"comments and spacing are no change", denyWrite, strings.ReplaceAll(denyWrite, "  ", "\t") + "# trailing\n", nil},
		{"deny-write removed",
			denyWrite, strings.Replace(denyWrite, "  deny /** w,\n", "", 1),
			[]want{{KindFileAdded, "/{,**}", High}, {KindRuleRemoved, "deny /** w,", High}}},
		{"complain mode",
			denyWrite, strings.Replace(denyWrite, "(attach_disconnected)", "(attach_disconnected, complain)", 1),
			[]want{{KindMode, "flags", High}}},
		{"capabilities",
			denyWrite, strings.Replace(denyWrite, "  file,\n", "  file,\n  capability sys_admin net_bind_service,\n  capability chown,\n", 1),
			[]want{{KindCapabilityAdded, "sys_admin", High}, {KindCapabilityAdded, "chown", Medium}, {KindCapabilityAdded, "net_bind_service", Low}}},
		{"all capabilities",
			denyWrite, strings.Replace(denyWrite, "  file,\n", "  file,\n  capability,\n", 1),
			[]want{{KindCapabilityAdded, "capability", High}}},
		{"denied capability is no change",
			"profile p {\n  capability sys_admin,\n  deny capability sys_admin,\n}\n", "profile p {\n  capability sys_admin,\n  deny capability sys_admin,\n  capability sys_admin,\n}\n",
			nil},
		{"file permissions",
			"profile p {\n  /tmp/** r,\n}\n",
			"profile p {\n  /tmp/** rw,\n  /etc/shadow w,\n  /usr/bin/sh ix,\n  /usr/bin/curl Ux,\n  /data/** r,\n}\n",
			[]want{{KindFileAdded, "/etc/shadow", High}, {KindFileAdded, "/usr/bin/curl", High}, {KindFileAdded, "/tmp/**", Medium}, {KindFileAdded, "/usr/bin/sh", Medium}, {KindFileAdded, "/data/**", Low}}},
		{"file permissions removed",
			"profile p {\n  /tmp/** rw,\n}\n", "profile p {\n  /tmp/** r,\n}\n",
			[]want{{KindFileRemoved, "/tmp/**", Info}}},
		{"class rules",
			"profile p {\n  network inet stream,\n}\n",
			"profile p {\n  network inet stream,\n  network inet raw,\n  mount,\n  ptrace (read) peer=foo,\n  signal (send) peer=bar,\n}\n",
			[]want{{KindRuleAdded, "mount,", High}, {KindRuleAdded, "network inet raw,", Medium}, {KindRuleAdded, "ptrace (read) peer=foo,", Medium}, {KindRuleAdded, "signal (send) peer=bar,", Low}}},
		{"variables are expanded",
			"@{HOME}=/home/*/\nprofile p {\n  @{HOME}.cache/** r,\n}\n",
			"@{HOME}=/home/*/\nprofile p {\n  @{HOME}.cache/** rw,\n}\n",
			[]want{{KindFileAdded, "/home/*/.cache/**", Medium}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fd, ok := Compare("p", []byte(c.old), "p", []byte(c.new), Options{})
			if !ok || fd.Type != "apparmor" {
				t.Fatalf("ok=%v type=%q", ok, fd.Type)
			}
			if len(fd.Errors) > 0 {
				t.Fatalf("errors: %v", fd.Errors)
			}
			sameItems(t, fd, c.want)
			for _, it := range fd.Items {
				if !strings.HasPrefix(it.Profile, "p") && !strings.HasPrefix(it.Profile, "k8s-") {
					t.Errorf("item without its profile: %+v", it)
				}
			}
		})
	}
}

func TestCompareAppArmorProfiles(t *testing.T) {
	old := "profile a {\n  /tmp/** r,\n}\nprofile b {\n}\n"
	new := "profile a {\n  /tmp/** r,\n}\nprofile c flags=(unconfined) {\n}\nprofile d {\n  capability sys_module,\n  /srv/** r,\n}\n"
	fd, _ := Compare("p", []byte(old), "p", []byte(new), Options{})
	got := map[string]string{}
	for _, it := range fd.Items {
		got[it.Profile+" "+it.Kind] = it.Risk.String()
	}
	for k, v := range map[string]string{
		"b profile-removed": "info", "c profile-added": "high", "d profile-added": "info", "d capability-added": "high",
	} {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(fd.Items) != 4 {
		t.Errorf("items %v", got)
	}
}

func TestCompareAppArmorSPO(t *testing.T) {
	spo := func(policy string, complain bool) string {
		c := ""
		if complain {
			c = "  complainMode: true\n"
		}
		return "apiVersion: security-profiles-operator.x-k8s.io/v1alpha1\nkind: AppArmorProfile\nmetadata:\n  name: web\n  namespace: prod\nspec:\n" + c +
			"  policy: |\n" + indent(policy, "    ")
	}
	fd, ok := Compare("p.yaml", []byte(spo(denyWrite, false)), "p.yaml", []byte(spo(denyWrite, true)), Options{})
	if !ok || fd.Type != "apparmor" {
		t.Fatalf("ok=%v type %q errors %v", ok, fd.Type, fd.Errors)
	}
	sameItems(t, fd, []want{{KindMode, "flags", High}})
	if fd.Items[0].Profile != "AppArmorProfile prod/web: k8s-apparmor-example-deny-write" || fd.Items[0].Line != 0 {
		t.Errorf("item %+v", fd.Items[0])
	}
}

func TestCompareAppArmorUnparsable(t *testing.T) {
	fd, ok := Compare("p", []byte(denyWrite), "p", []byte("profile p {\n  /tmp/** rw\n  capability,\n"), Options{})
	if !ok {
		t.Fatal("not recognised")
	}
	if len(fd.Items) != 0 || len(fd.Errors) == 0 || !strings.HasPrefix(fd.Errors[0], "new p:") {
		t.Errorf("items %v errors %v", fd.Items, fd.Errors)
	}
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}
