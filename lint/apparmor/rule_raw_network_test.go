package apparmor

import "testing"

func TestRawNetwork(t *testing.T) {
	runRuleCases(t, "apparmor/raw-network", []ruleCase{
		{"stream", prof("  network inet stream,\n  network inet6 dgram,\n  network unix,\n"), nil},
		{"raw", prof("  network raw,\n"), []int{4}},
		{"inet raw", prof("  network inet raw,\n"), []int{4}},
		{"packet", prof("  network packet,\n"), []int{4}},
		{"bare", prof("  network,\n"), []int{4}},
		{"inet", prof("  network inet,\n"), []int{4}},
		{"bare with raw and packet denied", prof("  network,\n  deny network raw,\n  deny network packet,\n"), nil},
		{"bare with raw denied", prof("  network,\n  deny network raw,\n"), []int{4}},
		{"netlink raw is not IP", prof("  network netlink raw,\n"), nil},
		{"tcp", prof("  network inet tcp,\n"), nil},
		{"deny only", prof("  deny network raw,\n"), nil},
	})
}
