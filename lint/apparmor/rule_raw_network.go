package apparmor

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

// apparmor/raw-network: raw IP and packet sockets let a program craft any
// packet (spoofing, sniffing on the node's network). `network raw,`,
// `network inet raw,`, `network packet,`, and also rules that include them:
// bare `network,` and `network inet,`. Matching deny rules cancel it.
func init() {
	register(lint.Rule{ID: "apparmor/raw-network", Severity: lint.Warning,
		Summary: "Raw or packet sockets are allowed"}, checkRawNetwork)
}

// netCombo is a (domain, type) pair a network rule may cover.
type netCombo struct{ domain, typ string }

var rawCombos = []netCombo{{"inet", "raw"}, {"inet6", "raw"}, {"packet", ""}}

// netArgs splits a network rule's words into domain and type/protocol.
// The first word is a domain when it names one (packet is both a domain
// and a type; apparmor_parser reads it as the domain).
func netArgs(r *ClassRule) (domain, typ string) {
	for i, a := range r.Args {
		if i == 0 && !networkDomains[a.Text] && (networkTypes[a.Text] || networkProtocols[a.Text]) {
			typ = a.Text
		} else if i == 0 {
			domain = a.Text
		} else {
			typ = a.Text
		}
	}
	return domain, typ
}

// covers reports whether a rule with domain/type covers combo c.
func covers(domain, typ string, c netCombo) bool {
	if domain != "" && domain != c.domain {
		return false
	}
	if c.typ == "" || typ == "" {
		return true
	}
	if typ == "icmp" || typ == "icmpv6" {
		return true // ICMP sockets are raw (or ping) sockets
	}
	return typ == c.typ
}

func checkRawNetwork(ps *pass) {
	ps.ownEntries(func(prof *Profile, e *Entry) {
		r, ok := e.Rule.(*ClassRule)
		if !ok || r.Class != "network" || e.Prefix.Deny() {
			return
		}
		d, t := netArgs(r)
		var open []string
		for _, c := range rawCombos {
			if !covers(d, t, c) {
				continue
			}
			if prof.classDenied("network", func(dr *ClassRule) bool {
				// the deny rule must cover the whole combination
				dd, dt := netArgs(dr)
				return (dd == "" || dd == c.domain) && (dt == "" || c.typ != "" && dt == c.typ)
			}) {
				continue
			}
			name := c.domain + " raw"
			if c.domain == "packet" {
				name = "packet"
			}
			open = append(open, name)
		}
		if len(open) == 0 {
			return
		}
		text := "network"
		for _, a := range r.Args {
			text += " " + a.Text
		}
		ps.report(r.Span, "allow only the socket types the program uses, e.g. network inet stream,",
			"%s allows %s sockets, which can forge and sniff traffic", text, strings.Join(open, " and "))
	})
}
