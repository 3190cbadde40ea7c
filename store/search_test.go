package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func TestFTSQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"new ip", `"new" "ip"`},
		{`"New IP" successor`, `"New IP" "successor"`},
		{`"unbalanced`, `"unbalanced"`},
		{`a "b c" "d`, `"a" "b c" "d"`},
		{"AND OR", `"AND" "OR"`},
		{"*", ""},
		{"itu*", `"itu"`},
		{"col:foo", `"col:foo"`},
		{"NEAR(", `"NEAR("`},
		{"C20/51-E", `"C20/51-E"`},
		{"- ^ ( ) { } :", ""},
		{"\uE000x\uE001", `"x"`},
		{"", ""},
		{strings.Repeat("w ", 40), strings.TrimSpace(strings.Repeat(`"w" `, maxSearchWords))},
	}
	for _, tt := range tests {
		if got := ftsQuery(tt.in); got != tt.want {
			t.Errorf("ftsQuery(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func seedSearch(t *testing.T, s *Store, clock *fakeClock) map[string]int64 {
	t.Helper()
	items := []struct {
		it     model.Item
		topics []string
	}{
		{model.Item{SourceID: "itu-news", ID: "newip", Title: "TSAG debates New IP successor",
			Summary:   "Proposals for a top-down redesign of the Internet protocol return to ITU-T.",
			Published: t0.Add(-48 * time.Hour)}, []string{"new-ip", "mandate-creep"}},
		{model.Item{SourceID: "press", ID: "camera", Title: "A new IP camera for shops",
			Content:   "The vendor's new IP camera records video. Nothing about the ITU.",
			Published: t0.Add(-24 * time.Hour)}, nil},
		{model.Item{SourceID: "itu-docs", ID: "c20-51", Title: "Council document C20/51-E",
			Content: "Report on Resolution 102 and CWG-Internet.", Published: t0.Add(-72 * time.Hour)}, []string{"mandate-creep"}},
		{model.Item{SourceID: "press", ID: "hostile", Title: "Marker test",
			Content: "Stored text with \uE000private\uE001 marker characters around the word sovereignty in it."}, nil},
		{model.Item{SourceID: "press", ID: "older", Title: "Patent office news",
			Summary: "A patent dispute.", Published: t0.Add(-96 * time.Hour)}, nil},
		{model.Item{SourceID: "press", ID: "newer", Title: "Patent office news",
			Summary: "A patent dispute.", Published: t0.Add(-12 * time.Hour)}, nil},
	}
	ids := map[string]int64{}
	for _, x := range items {
		sv := Save{Item: x.it, Fingerprint: x.it.Fingerprint()}
		if len(x.topics) > 0 {
			sv.Alert = alertFor(x.it, x.topics...)
		}
		ids[x.it.ID] = mustSave(t, s, sv)
	}
	return ids
}

func TestSearchHostileInput(t *testing.T) {
	s, clock := openTest(t)
	seedSearch(t, s, clock)
	ctx := context.Background()
	hostile := []string{
		`"unbalanced`, `AND OR`, `*`, `col:foo`, `NEAR(`, `NEAR(new ip, 2)`, `title:new`, `{title summary}: ip`,
		`-ip`, `^new`, `"`, `""`, `"" ""`, `'`, `(`, `)`, `new AND`, `NOT ip`, `ip OR`, "\x00", "\uE000", "\uE001new",
		`"new" + "ip"`, `new*ip`, `**`, `ip"*`, "😀", "\u0301", "ǅ", strings.Repeat("(", 2000), strings.Repeat("a ", 5000),
		`rank MATCH 'x'`, `'; DROP TABLE items; --`, `items_fts`, "\\", `%_`,
	}
	for _, q := range hostile {
		if _, err := s.Search(ctx, q, 10); err != nil {
			t.Errorf("Search(%q) error: %v", q, err)
		}
	}
	// The database is intact afterwards.
	if hits, err := s.Search(ctx, "successor", 10); err != nil || len(hits) != 1 {
		t.Errorf("search after hostile input: %d hits, %v", len(hits), err)
	}
}

func hitIDs(hits []SearchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Item.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	s, clock := openTest(t)
	ids := seedSearch(t, s, clock)
	ctx := context.Background()
	tests := []struct {
		query string
		want  []string
	}{
		{"successor", []string{"newip"}},
		{"SUCCESSOR", []string{"newip"}},
		{"successor*", []string{"newip"}},
		{`"new ip"`, []string{"camera", "newip"}},   // twice in the camera item
		{"new ip itu", []string{"newip", "camera"}}, // both have all three words
		{`"New IP" successor`, []string{"newip"}},   // words are ANDed
		{"C20/51-E", []string{"c20-51"}},            // a document number as one phrase
		{"resolution 102", []string{"c20-51"}},      // content only
		{"patent", []string{"newer", "older"}},      // equal relevance: newer first
		{"sovereignty", []string{"hostile"}},        // stored marker characters are not indexed
		{"private", []string{"hostile"}},            // ...and do not split words
		{"nothing-like-this", nil},
		{"", nil},
	}
	for _, tt := range tests {
		hits, err := s.Search(ctx, tt.query, 10)
		if err != nil {
			t.Fatalf("Search(%q): %v", tt.query, err)
		}
		if got := hitIDs(hits); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}

	// A title hit outranks a content hit.
	hits, _ := s.Search(ctx, "camera", 10)
	if len(hits) != 1 || hits[0].Item.ID != "camera" {
		t.Fatalf("Search(camera) = %v", hitIDs(hits))
	}

	// Alert id and topics of the latest alert come with the hit.
	hits, _ = s.Search(ctx, "successor", 10)
	if hits[0].AlertID != ids["newip"] || !reflect.DeepEqual(hits[0].Topics, []string{"new-ip", "mandate-creep"}) {
		t.Errorf("hit alert %d topics %v, want %d [new-ip mandate-creep]", hits[0].AlertID, hits[0].Topics, ids["newip"])
	}
	if hits, _ := s.Search(ctx, "patent", 10); hits[0].AlertID != 0 || hits[0].Topics != nil {
		t.Errorf("quiet item hit has alert %d topics %v", hits[0].AlertID, hits[0].Topics)
	}
}

func TestSearchSnippets(t *testing.T) {
	s, clock := openTest(t)
	seedSearch(t, s, clock)
	ctx := context.Background()
	tests := []struct {
		query     string
		wantField string
		wantHits  []string
	}{
		{"redesign", "summary", []string{"redesign"}},
		{"resolution", "content", []string{"Resolution"}},
		{"TSAG", "title", []string{"TSAG"}},
		{"sovereignty", "content", []string{"sovereignty"}},
		{`"new ip" vendor`, "content", []string{"vendor", "new IP"}},
	}
	for _, tt := range tests {
		hits, err := s.Search(ctx, tt.query, 1)
		if err != nil || len(hits) != 1 {
			t.Fatalf("Search(%q) = %d hits, %v", tt.query, len(hits), err)
		}
		sn := hits[0].Snippet
		var got []string
		for _, p := range sn.Parts {
			if strings.ContainsAny(p.Text, hitOpen+hitClose) {
				t.Errorf("Search(%q) snippet part %q keeps a marker character", tt.query, p.Text)
			}
			if p.Hit {
				got = append(got, p.Text)
			}
		}
		if sn.Field != tt.wantField || !reflect.DeepEqual(got, tt.wantHits) {
			t.Errorf("Search(%q) snippet %s %q: field %s hits %q, want %s %q",
				tt.query, sn.Field, sn.Plain("[", "]"), sn.Field, got, tt.wantField, tt.wantHits)
		}
	}
}

func TestSnippetParts(t *testing.T) {
	tests := []struct {
		in   string
		want []model.SnippetPart
	}{
		{"plain", []model.SnippetPart{{Text: "plain"}}},
		{"a " + hitOpen + "b" + hitClose + " c", []model.SnippetPart{{Text: "a "}, {Text: "b", Hit: true}, {Text: " c"}}},
		{hitOpen + "x" + hitClose + hitOpen + "y" + hitClose, []model.SnippetPart{{Text: "xy", Hit: true}}},
		{"a" + hitClose + "b", []model.SnippetPart{{Text: "ab"}}},
		{"a" + hitOpen + "b", []model.SnippetPart{{Text: "a"}, {Text: "b", Hit: true}}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := snippetParts(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("snippetParts(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestSearchLimit(t *testing.T) {
	s, _ := openTest(t)
	for i := range 70 {
		it := item("s", fmt.Sprint(i), "spectrum auction")
		mustSave(t, s, Save{Item: it})
	}
	ctx := context.Background()
	for _, tt := range []struct{ limit, want int }{{5, 5}, {0, 10}, {1000, maxList}} {
		if hits, _ := s.Search(ctx, "spectrum", tt.limit); len(hits) != tt.want {
			t.Errorf("Search limit %d gave %d hits, want %d", tt.limit, len(hits), tt.want)
		}
	}
}
