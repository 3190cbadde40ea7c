package watchers

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// A page whose content churns on its own (a view counter, an "updated"
// date inside a paragraph, white space) gives no item; a paragraph added
// afterwards gives one, with what changed sentence by sentence.
func TestPageContentChurnIsNoChange(t *testing.T) {
	base := string(ituFixture(t, "fg-page-before.html"))
	version := func(stamp, views, extra string) []byte {
		p := "<p>This programme was last updated " + stamp + " and has " + views + " views.</p>" + extra + "\n    <h2>Meetings</h2>"
		return []byte(strings.Replace(base, "<h2>Meetings</h2>", p, 1))
	}
	srv := &ituServer{pages: map[string][]byte{"/fg": version("10 February 2025", "1,234", "")}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	src := NewPageSource("fg-nf", ts.URL+"/fg", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), "")
	state := &model.SourceState{SourceID: "fg-nf"}
	ctx := context.Background()
	if items, err := pollInto(ctx, src, state); err != nil || len(items) != 0 {
		t.Fatalf("baseline: %v, %v", items, err)
	}
	for i, page := range [][]byte{
		version("3 March 2025", "1,301", ""),
		version("4 March 2025", "1 480", "  "),
		[]byte(strings.Replace(string(version("4 March 2025", "2,002", "")), "may place on", "may   place\n on", 1)),
	} {
		srv.set("/fg", page)
		items, err := pollInto(ctx, src, state)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 0 {
			t.Fatalf("churn %d gave %+v, want nothing", i, items)
		}
	}
	srv.set("/fg", version("5 March 2025", "2,100", "<p>The focus group will hold a workshop on IPv6 transition in May.</p>"))
	items, err := pollInto(ctx, src, state)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Content != "The focus group will hold a workshop on IPv6 transition in May." {
		t.Fatalf("got %+v, want one item with the new paragraph", items)
	}
	d := items[0].Diff
	if d == nil || len(d.Lines) != 1 || d.Lines[0].Kind != model.DiffAdded || d.Lines[0].Parts[0].Text != items[0].Content {
		t.Errorf("diff = %+v, want the added sentence only", d)
	}
}
