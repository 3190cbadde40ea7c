package watchers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestRefusedAddress(t *testing.T) {
	tests := []struct {
		ip      string
		refused bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"10.0.0.1", true},
		{"172.16.5.4", true},
		{"172.31.255.255", true},
		{"172.32.0.1", false},
		{"192.168.1.1", true},
		{"169.254.169.254", true},
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"100.128.0.1", false},
		{"0.0.0.0", true},
		{"224.0.0.251", true},
		{"255.255.255.255", true},
		{"::1", true},
		{"::", true},
		{"fc00::1", true},
		{"fd12:3456:789a::1", true},
		{"fe80::1", true},
		{"ff02::1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"64:ff9b::a9fe:a9fe", true}, // NAT64 of 169.254.169.254
		{"::10.0.0.1", true},
		// Documentation ranges, which no public server uses.
		{"192.0.2.1", true},
		{"198.51.100.7", true},
		{"203.0.113.250", true},
		{"2001:db8::1", true},
		{"2001:db8:ffff:ffff::1", true},
		{"3fff::1", true},
		{"::ffff:192.0.2.1", true},
		{"64:ff9b::c000:201", true}, // NAT64 of 192.0.2.1
		// The IPv6 discard prefix, and the benchmarking one.
		{"100::1", true},
		{"100::ffff:ffff:ffff:ffff", true},
		{"2001:2::1", true},
		// The deprecated 6to4 relay anycast address.
		{"192.88.99.1", true},
		// 6to4 (2002:AABB:CCDD::/48 is the IPv4 address AA.BB.CC.DD).
		{"2002:7f00:1::1", true},    // 127.0.0.1
		{"2002:c0a8:101::1", true},  // 192.168.1.1
		{"2002:a9fe:a9fe::1", true}, // 169.254.169.254
		{"2002:a00:1:1::1", true},   // 10.0.0.1
		{"2002:c000:201::1", true},  // 192.0.2.1
		{"2002:808:808::1", false},  // 8.8.8.8, a public address
		// Teredo: 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC with the server's
		// IPv4 address in bits 32-63 and the client's inverted in the
		// last 32 bits.
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", true},  // client 10.0.0.1
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", true},  // client 127.0.0.1
		{"2001:0:4136:e378:8000:63bf:5601:5601", true},  // client 169.254.169.254
		{"2001:0:7f00:1:8000:63bf:f7f7:f7f7", true},     // server 127.0.0.1
		{"2001:0:a00:1:8000:63bf:f7f7:f7f7", true},      // server 10.0.0.1
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", false}, // client 8.8.8.8, server 65.54.227.120
		// SIIT's IPv4-translated form ::ffff:0:a.b.c.d.
		{"::ffff:0:a00:1", true},
		{"::ffff:0:808:808", false},
		// Neighbours of the new ranges stay public.
		{"192.0.3.1", false},
		{"198.51.101.1", false},
		{"203.0.114.1", false},
		{"2003::1", false},
		{"8.8.8.8", false},
		{"156.106.192.1", false},
		{"2001:4860:4860::8888", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false},
	}
	for _, tt := range tests {
		why := refusedAddress(netip.MustParseAddr(tt.ip))
		if (why != "") != tt.refused {
			t.Errorf("refusedAddress(%s) = %q, want refused=%v", tt.ip, why, tt.refused)
		}
	}
}

func TestGuardRefusesLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer srv.Close()

	f := NewFetcher(FetcherOptions{})
	_, err := f.Fetch(context.Background(), srv.URL+"/feed", Validators{})
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want ErrPrivateAddress", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1") || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error does not say what was refused: %v", err)
	}
	if hits.Load() != 0 {
		t.Error("the guarded fetcher reached the loopback server")
	}

	// With the guard off the same server answers.
	open := NewFetcher(FetcherOptions{AllowPrivateNetworks: true})
	if _, err := open.Fetch(context.Background(), srv.URL+"/feed", Validators{}); err != nil {
		t.Fatalf("AllowPrivateNetworks: %v", err)
	}
}

func TestFetchRefusesOtherSchemes(t *testing.T) {
	f := NewFetcher(FetcherOptions{AllowPrivateNetworks: true})
	for _, u := range []string{"file:///etc/passwd", "ftp://ftp.example.org/feed", "gopher://x", "https:///nohost"} {
		if _, err := f.Fetch(context.Background(), u, Validators{}); err == nil {
			t.Errorf("Fetch(%q) succeeded", u)
		}
	}
}

// TestGuardRefusesSpecialRangesAfterRedirect: a redirect to a documentation,
// discard, 6to4 or Teredo address is judged like the first address, at
// connect time. The test's dialer lets exactly its own server's port
// through and judges every other address with the guard, so nothing
// leaves loopback even if the guard regressed.
func TestGuardRefusesSpecialRangesAfterRedirect(t *testing.T) {
	targets := map[string]string{
		"/doc4":    "http://192.0.2.10/feed",
		"/doc6":    "http://[2001:db8::10]/feed",
		"/discard": "http://[100::1]/feed",
		"/6to4":    "http://[2002:a9fe:a9fe::1]/latest/meta-data/",
		"/teredo":  "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/feed",
	}
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, targets[r.URL.Path], http.StatusFound)
	}))
	defer outer.Close()
	f := NewFetcher(FetcherOptions{Timeout: 2 * time.Second})
	allowed := outer.Listener.Addr().String()
	tr := f.client.Transport.(*http.Transport)
	d := &net.Dialer{Timeout: time.Second, Control: func(network, address string, c syscall.RawConn) error {
		if address == allowed {
			return nil
		}
		if err := guardControl(network, address, c); err != nil {
			return err
		}
		t.Errorf("the guard let a connection to %s through", address)
		return errors.New("the test allows no connection but to its own server")
	}}
	tr.DialContext = d.DialContext
	for path := range targets {
		_, err := f.Fetch(context.Background(), outer.URL+path, Validators{})
		if !errors.Is(err, ErrPrivateAddress) || !strings.Contains(err.Error(), "refused to connect") {
			t.Errorf("%s: err = %v, want the guard's refusal", path, err)
		}
	}
}

// TestRefusedAddressNamesTheEmbeddedAddress: the person reading the error
// learns which IPv4 address a 6to4 or Teredo address leads to.
func TestRefusedAddressNamesTheEmbeddedAddress(t *testing.T) {
	for ip, want := range map[string][]string{
		"2002:a9fe:a9fe::1":                    {"6to4", "169.254.169.254", "link-local"},
		"2001:0:4136:e378:8000:63bf:f5ff:fffe": {"Teredo", "10.0.0.1", "private"},
		"2001:0:7f00:1:8000:63bf:f7f7:f7f7":    {"Teredo", "server", "127.0.0.1", "loopback"},
		"2001:db8::1":                          {"documentation"},
	} {
		why := refusedAddress(netip.MustParseAddr(ip))
		for _, w := range want {
			if !strings.Contains(why, w) {
				t.Errorf("refusedAddress(%s) = %q, want it to say %q", ip, why, w)
			}
		}
	}
}
