package notify

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// DefaultDeny is where notifications are not sent unless Allow says so: addresses no
// merchant's server has, and the link-local ranges where clouds serve instance metadata
// and credentials (169.254.169.254). A sandbox that others can reach must not be their
// way into the machine's cloud account. Loopback and private ranges stay allowed: that is
// where test setups run their notify_url.
var DefaultDeny = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"; 0.0.0.0 reaches the host itself
	netip.MustParsePrefix("169.254.0.0/16"), // IPv4 link-local
	netip.MustParsePrefix("224.0.0.0/4"),    // IPv4 multicast
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("fe80::/10"),      // IPv6 link-local
	netip.MustParsePrefix("ff00::/8"),       // IPv6 multicast
}

// Policy decides which addresses notifications may be sent to: an address in Deny is
// refused unless it is also in Allow. Addresses are checked as the connection is made, on
// the address it is made to, so a name that resolves (or re-resolves) to a refused
// address is refused too.
type Policy struct {
	Deny  []netip.Prefix
	Allow []netip.Prefix
}

// RefusedError is a delivery the Policy stopped before it connected.
type RefusedError struct {
	Addr   netip.Addr
	Prefix netip.Prefix // the denied range it is in
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("address %s is in %s, where notifications are not sent", e.Addr, e.Prefix)
}

// nat64 is the well-known NAT64 prefix (RFC 6052): behind a NAT64 gateway,
// 64:ff9b::a9fe:a9fe reaches 169.254.169.254.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Check returns a *RefusedError if the policy refuses addr.
func (p Policy) Check(addr netip.Addr) error {
	// ::ffff:169.254.169.254 reaches 169.254.169.254: judge the IPv4 address.
	addr = addr.Unmap().WithZone("")
	if err := p.check(addr); err != nil || !nat64.Contains(addr) {
		return err
	}
	b := addr.As16()
	return p.check(netip.AddrFrom4([4]byte(b[12:])))
}

func (p Policy) check(addr netip.Addr) error {
	for _, a := range p.Allow {
		if a.Contains(addr) {
			return nil
		}
	}
	for _, d := range p.Deny {
		if d.Contains(addr) {
			return &RefusedError{Addr: addr, Prefix: d}
		}
	}
	return nil
}

// control is a net.Dialer Control that applies p to the address being dialed, after
// name resolution and just before the connection is made.
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("notify: dial %s %q: %w", network, address, err)
	}
	return p.Check(ap.Addr())
}

// ParsePrefixes reads a comma-separated list of CIDR ranges; a bare address is a range
// of that address alone.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither a CIDR range nor an IP address", f)
			}
			a = a.WithZone("")
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, unmapPrefix(p).Masked())
	}
	return out, nil
}

// unmapPrefix turns an IPv4-mapped range (::ffff:169.254.0.0/112) into the IPv4 range it
// names, since Check judges mapped addresses as IPv4.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}
