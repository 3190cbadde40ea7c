package watchers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// A listing whose table is there but whose rows no longer read as documents
// (here ASP.NET postback links instead of document numbers) must say so: an
// empty poll would otherwise look like a quiet week.
func TestITUListingWarnsWhenNoRowIsADocument(t *testing.T) {
	srv := &ituServer{pages: map[string][]byte{"/md/cwg": ituFixture(t, "listing-unreadable.html")}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	states := &memStates{}
	var logs bytes.Buffer
	sched := NewScheduler(SchedulerOptions{States: states, Jitter: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	src := NewITUListingSource("cwg-docs", ts.URL+"/md/cwg", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), 1)
	if err := sched.Add(src, "@daily"); err != nil {
		t.Fatal(err)
	}
	r := pollOne(context.Background(), sched, "cwg-docs")
	if r.Err != nil || r.Items != 0 {
		t.Fatalf("poll: %d items, error %v; want 0 items and no error", r.Items, r.Err)
	}
	w := states.get("cwg-docs").Warning
	for _, want := range []string{"8 rows", "none", "document number"} {
		if !strings.Contains(w, want) {
			t.Errorf("stored warning %q does not say %q", w, want)
		}
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "source=cwg-docs") || !strings.Contains(logs.String(), "8 rows") {
		t.Errorf("the warning was not logged:\n%s", logs.String())
	}

	// A listing that reads is quiet.
	srv.set("/md/cwg", ituFixture(t, "cwg-internet-page1.html"))
	r = pollOne(context.Background(), sched, "cwg-docs")
	if r.Err != nil || r.Items == 0 {
		t.Fatalf("readable listing: %d items, error %v", r.Items, r.Err)
	}
	if w := states.get("cwg-docs").Warning; w != "" {
		t.Errorf("warning on a readable listing: %q", w)
	}
}
