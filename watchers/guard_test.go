package watchers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ituwatch/ituwatch/model"
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
	_, err := f.Fetch(context.Background(), srv.URL+"/feed", &model.SourceState{})
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
	if _, err := open.Fetch(context.Background(), srv.URL+"/feed", &model.SourceState{}); err != nil {
		t.Fatalf("AllowPrivateNetworks: %v", err)
	}
}

func TestFetchRefusesOtherSchemes(t *testing.T) {
	f := NewFetcher(FetcherOptions{AllowPrivateNetworks: true})
	for _, u := range []string{"file:///etc/passwd", "ftp://ftp.example.org/feed", "gopher://x", "https:///nohost"} {
		if _, err := f.Fetch(context.Background(), u, &model.SourceState{}); err == nil {
			t.Errorf("Fetch(%q) succeeded", u)
		}
	}
}
