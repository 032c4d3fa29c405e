package apparmor

import "testing"

func TestUnrestrictedMount(t *testing.T) {
	runRuleCases(t, "apparmor/unrestricted-mount", []ruleCase{
		{"bare mount", prof("  mount,\n"), []int{4}},
		{"restricted mount", prof("  mount fstype=tmpfs -> /tmp/,\n"), nil},
		{"bare remount", prof("  remount,\n"), []int{4}},
		{"bare umount", prof("  umount,\n"), []int{4}},
		{"umount target", prof("  umount /mnt/,\n"), nil},
		{"bare pivot_root", prof("  pivot_root,\n"), []int{4}},
		{"denied", prof("  mount,\n  deny mount,\n"), nil},
		{"deny only", prof("  deny mount,\n"), nil},
	})
}
