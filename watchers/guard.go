package watchers

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrPrivateAddress is wrapped in the error of a fetch whose host resolved to
// an address on a private, local or special-purpose network. Feeds come from
// the public Internet; a config entry (or a redirect, or a DNS answer) that
// points inside the network the bot runs in must not make it an open proxy to
// internal services or to a cloud metadata endpoint.
var ErrPrivateAddress = errors.New("fetching from private or local network addresses is turned off")

// refusedPrefixes are the ranges a public feed never lives in, with the name
// a person reads in the error.
var refusedPrefixes = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (cloud metadata lives here)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol-assignment address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation (example) address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "the retired 6to4 relay address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation (example) address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation (example) address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001:2::/48"), "a benchmarking address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation (example) address"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation (example) address"},
	{netip.MustParsePrefix("fc00::/7"), "a unique-local (private) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	siit      = netip.MustParsePrefix("::ffff:0:0:0/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	teredo    = netip.MustParsePrefix("2001::/32")
)

// refusedAddress says why ip must not be connected to, or "" when it may.
// IPv4-mapped and IPv4-compatible IPv6 forms (::ffff:10.0.0.1) are judged
// as the IPv4 address they carry, since the kernel routes them the same way.
//
// 6to4 (2002::/16) and Teredo (2001::/32) addresses carry IPv4 addresses
// that a host with such a tunnel sends its packets to (the 6to4 router, the
// Teredo server and client), so they are refused when any IPv4 address
// they carry is, and allowed when all are public: such an address then
// leads to the public Internet like any other, however obsolete the
// mechanism.
func refusedAddress(ip netip.Addr) string {
	if !ip.IsValid() {
		return "an unparseable address"
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	b := ip.As16()
	// NAT64 (64:ff9b::/96) and SIIT's IPv4-translated form embed an IPv4
	// address in their last 32 bits.
	if nat64.Contains(ip) || siit.Contains(ip) {
		ip = netip.AddrFrom4([4]byte(b[12:16]))
	}
	for _, r := range refusedPrefixes {
		if r.prefix.Contains(ip) {
			return r.what
		}
	}
	switch {
	case !ip.Is6():
	case [12]byte(b[:12]) == [12]byte{}:
		// Deprecated IPv4-compatible form ::a.b.c.d.
		return refusedAddress(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		v4 := netip.AddrFrom4([4]byte(b[2:6]))
		if why := refusedAddress(v4); why != "" {
			return fmt.Sprintf("a 6to4 address of %s, %s", v4, why)
		}
	case teredo.Contains(ip):
		server := netip.AddrFrom4([4]byte(b[4:8]))
		if why := refusedAddress(server); why != "" {
			return fmt.Sprintf("a Teredo address whose server is %s, %s", server, why)
		}
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		if why := refusedAddress(client); why != "" {
			return fmt.Sprintf("a Teredo address of %s, %s", client, why)
		}
	}
	return ""
}

// guardControl runs after DNS resolution, just before each connect, so it
// sees the address actually dialled: a hostname that resolves to a private
// address, a DNS answer that changes between checks (rebinding) and a
// redirect to http://169.254.169.254/ are all caught in the same place.
func guardControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: cannot judge address %q", ErrPrivateAddress, address)
	}
	if why := refusedAddress(ip); why != "" {
		return &privateAddressError{ip: ip.String(), what: why}
	}
	return nil
}

type privateAddressError struct{ ip, what string }

func (e *privateAddressError) Error() string {
	return fmt.Sprintf("refused to connect to %s, %s: %v (set allow_private_networks under http in the config only if this source really is on your own network)", e.ip, e.what, ErrPrivateAddress)
}

func (e *privateAddressError) Unwrap() error { return ErrPrivateAddress }
