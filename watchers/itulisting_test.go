package watchers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// The feed tests may already own the -update flag; share it rather than
// register it twice.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func ituUpdateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func ituFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "itu", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type listingGolden struct {
	Items    []model.Item `json:"items"`
	NextPage string       `json:"next_page"`
}

func TestParseListingGolden(t *testing.T) {
	tests := []struct {
		fixture, pageURL string
	}{
		{"cwg-internet-page1.html", "https://www.itu.int/md/S23-CWGINT18-C/en"},
		{"cwg-internet-page2.html", "https://www.itu.int/md/S23-CWGINT18-C/en?page=2"},
		{"cwg-internet-page1-later.html", "https://www.itu.int/md/S23-CWGINT18-C/en"},
		{"council-listing.html", "https://www.itu.int/council/2022/council-listing.html"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			items, next, err := ParseListing(ituFixture(t, tt.fixture), mustURL(t, tt.pageURL))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(listingGolden{items, next}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "itu", strings.TrimSuffix(tt.fixture, ".html")+".golden.json")
			if ituUpdateGolden() {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./watchers -run TestParseListingGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("ParseListing(%s) differs from %s:\n%s", tt.fixture, golden, got)
			}
		})
	}
}

// The golden files pin every field; these checks say what matters in them.
func TestParseListingCWGInternet(t *testing.T) {
	items, next, err := ParseListing(ituFixture(t, "cwg-internet-page1.html"), mustURL(t, "https://www.itu.int/md/S23-CWGINT18-C/en"))
	if err != nil {
		t.Fatal(err)
	}
	if next != "https://www.itu.int/md/S23-CWGINT18-C/en?page=2" {
		t.Errorf("next page = %q", next)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	if want := []string{"CWG-Internet 18/5", "CWG-Internet 18/4", "CWG-Internet 18/3"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("item ids = %q, want %q", ids, want)
	}
	it := items[1]
	if it.Title != "CWG-Internet 18/4 — Views on keeping the multistakeholder model for Internet-related public policy" {
		t.Errorf("title with <br> and extra spaces = %q", it.Title)
	}
	if it.Summary != "Source: Internet Society (sector member)" || it.Document.Submitter != "Internet Society (sector member)" {
		t.Errorf("summary = %q, submitter = %q", it.Summary, it.Document.Submitter)
	}
	if it.Link != "https://www.itu.int/md/S23-CWGINT18-C-0004/en" {
		t.Errorf("link = %q", it.Link)
	}
	if !it.Published.Equal(time.Date(2023, 9, 13, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("published = %v", it.Published)
	}
	if want := []string{"Council", "CWG-Internet"}; !reflect.DeepEqual(it.Categories, want) {
		t.Errorf("categories = %q, want %q", it.Categories, want)
	}
	if want := []string{"en", "ru"}; !reflect.DeepEqual(items[0].Document.Languages, want) {
		t.Errorf("languages from icons = %q, want %q", items[0].Document.Languages, want)
	}
}

func TestParseListingRevisionAndTranslation(t *testing.T) {
	page := mustURL(t, "https://www.itu.int/md/S23-CWGINT18-C/en")
	before, _, err := ParseListing(ituFixture(t, "cwg-internet-page1.html"), page)
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := ParseListing(ituFixture(t, "cwg-internet-page1-later.html"), page)
	if err != nil {
		t.Fatal(err)
	}
	byID := func(items []model.Item) map[string]model.Item {
		m := map[string]model.Item{}
		for _, it := range items {
			m[it.ID] = it
		}
		return m
	}
	b, a := byID(before), byID(after)
	if len(a) != len(b) {
		t.Fatalf("a revision or translation made a new item: %d items before, %d after", len(b), len(a))
	}
	rev := a["CWG-Internet 18/3"]
	if rev.Document == nil || rev.Document.Revision != "Rev.1" || b["CWG-Internet 18/3"].Document.Revision != "" {
		t.Errorf("18/3 revision before %q, after %+v", b["CWG-Internet 18/3"].Document.Revision, rev.Document)
	}
	if want := []string{"en", "fr"}; !reflect.DeepEqual(a["CWG-Internet 18/4"].Document.Languages, want) {
		t.Errorf("18/4 languages after = %q, want %q", a["CWG-Internet 18/4"].Document.Languages, want)
	}
	for id, it := range a {
		prev := b[id]
		changed := it.Fingerprint() != prev.Fingerprint()
		if wantChange := id != "CWG-Internet 18/5"; changed != wantChange {
			t.Errorf("%s: fingerprint changed = %v, want %v", id, changed, wantChange)
		}
	}
}

func TestParseListingCouncil(t *testing.T) {
	items, next, err := ParseListing(ituFixture(t, "council-listing.html"), mustURL(t, "https://www.itu.int/council/2022/council-listing.html"))
	if err != nil {
		t.Fatal(err)
	}
	if next != "https://www.itu.int/council/2022/council-listing.html?p=2" {
		t.Errorf("next page from numbered pagination = %q", next)
	}
	want := map[string]struct {
		published string
		langs     []string
		rev       string
	}{
		"C22/51":        {"2022-09-26", []string{"en", "fr", "es"}, ""},
		"C22/51(Add.1)": {"2022-10-03", []string{"en"}, ""},
		"C22/INF/3":     {"", []string{"en"}, ""},
		"C22/60":        {"2022-09-28", []string{"en", "ru"}, "Rev.1"},
		"XYZ/7":         {"2022-09-30", nil, ""},
	}
	if len(items) != len(want) {
		t.Fatalf("got %d items, want %d (the heading row must be skipped): %+v", len(items), len(want), items)
	}
	for _, it := range items {
		w, ok := want[it.ID]
		if !ok {
			t.Errorf("unexpected item %q", it.ID)
			continue
		}
		var pub string
		if !it.Published.IsZero() {
			pub = it.Published.Format("2006-01-02")
		}
		if pub != w.published || !reflect.DeepEqual(it.Document.Languages, w.langs) || it.Document.Revision != w.rev {
			t.Errorf("%s: published %q languages %q revision %q; want %q %q %q", it.ID, pub, it.Document.Languages, it.Document.Revision, w.published, w.langs, w.rev)
		}
		if it.Summary != "" {
			t.Errorf("%s: summary %q without a source column", it.ID, it.Summary)
		}
	}
}

func TestParseListingNoTable(t *testing.T) {
	for _, body := range []string{
		string(ituFixture(t, "broken.html")),
		"",
		"<table><tr><td>Agenda</td><td>Minutes</td></tr></table>",
	} {
		_, _, err := ParseListing([]byte(body), mustURL(t, "https://www.itu.int/md/x"))
		if !errors.Is(err, ErrNoDocumentTable) || !strings.Contains(err.Error(), "no document table found on the page") {
			t.Errorf("ParseListing(%.40q) error = %v, want %q", body, err, ErrNoDocumentTable)
		}
	}
}

func TestParseListingLayouts(t *testing.T) {
	page := "https://www.itu.int/md/list"
	tests := []struct {
		name string
		html string
		want []string // item titles
	}{
		{
			name: "title and number only",
			html: `<table><tr><th>Title</th><th>Number</th></tr><tr><td>Agenda</td><td>TSAG-TD 62R1</td></tr></table>`,
			want: []string{"TSAG-TD 62 — Agenda"},
		},
		{
			name: "no number column, number in title",
			html: `<table><tr><th>Title</th><th>Date</th></tr><tr><td>SG13-C 1234: deep packet inspection</td><td>2024-01-05</td></tr></table>`,
			want: []string{"SG13-C 1234 — SG13-C 1234: deep packet inspection"},
		},
		{
			name: "header repeated in body and short rows",
			html: `<table><tr><th>No.</th><th>Title</th></tr><tr><td>C24/1</td><td>Opening</td></tr>` +
				`<tr><th>No.</th><th>Title</th></tr><tr><td>C24/2</td></tr><tr><td>C24/3</td><td>Closing</td></tr></table>`,
			want: []string{"C24/1 — Opening", "C24/3 — Closing"},
		},
		{
			name: "rows without a number are skipped",
			html: `<table><tr><th>Number</th><th>Title</th></tr><tr><td></td><td>Notes</td></tr><tr><td>C24/4</td><td></td></tr></table>`,
			want: []string{"C24/4"},
		},
		{
			name: "the listing table beats a layout table",
			html: `<table><tr><td>Title</td><td>Source</td></tr></table>` +
				`<table><tr><th>No</th><th>Title</th><th>Source</th><th>Date</th></tr><tr><td>PP-22 Doc 45</td><td>Proposals</td><td>Ghana</td><td>1.9.2022</td></tr></table>`,
			want: []string{"PP22/45 — Proposals"},
		},
		{
			name: "same document on two rows is one item",
			html: `<table><tr><th>No</th><th>Title</th></tr><tr><td>C22/9</td><td>Budget</td></tr><tr><td>C22/9(Rev.2)-E</td><td>Budget, revised</td></tr></table>`,
			want: []string{"C22/9 — Budget, revised"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, _, err := ParseListing([]byte(tt.html), mustURL(t, page))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.Title)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("titles = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseListingDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2022-09-26", "2022-09-26"},
		{"26.09.2022", "2022-09-26"},
		{"6.9.2022", "2022-09-06"},
		{"26 September 2022", "2022-09-26"},
		{"26 Sept. 2022", ""},
		{"26 Sep 2022", "2022-09-26"},
		{"26-Sep-2022", "2022-09-26"},
		{"September 26, 2022", "2022-09-26"},
		{"26/09/2022", "2022-09-26"},
		{"Posted 2022-09-26 14:05", "2022-09-26"},
		{"2022/09/26", "2022-09-26"},
		{"", ""},
		{"soon", ""},
		{"31.02.2022", ""},
	}
	for _, tt := range tests {
		got := parseListingDate(tt.in)
		var s string
		if !got.IsZero() {
			s = got.Format("2006-01-02")
		}
		if s != tt.want {
			t.Errorf("parseListingDate(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func TestFindNextPage(t *testing.T) {
	page := "https://www.itu.int/md/list?page=3"
	tests := []struct{ name, html, want string }{
		{"rel next", `<head><link rel="next" href="?page=4"></head>`, "https://www.itu.int/md/list?page=4"},
		{"next label", `<a href="?page=2">Previous</a> <a href="?page=4">Next &gt;</a>`, "https://www.itu.int/md/list?page=4"},
		{"next icon", `<a href="?page=4"><img src="n.gif" alt="Next"></a>`, "https://www.itu.int/md/list?page=4"},
		{"last is not next", `<a href="?page=9">&raquo;&raquo;</a>`, ""},
		{"current marked", `<a href="?page=2">2</a><span class="current">3</span><a href="?page=4">4</a>`, "https://www.itu.int/md/list?page=4"},
		{"last page", `<a href="?page=2">2</a><span class="current">3</span>`, ""},
		{"disabled next", `<a href="javascript:void(0)">Next</a>`, ""},
		{"no pagination", `<p>nothing</p>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.html + `<table><tr><th>No</th><th>Title</th></tr><tr><td><a href="/md/S22-CL-C-0001/en">C22/1</a></td><td><a href="?page=4">Next</a> steps</td></tr></table>`
			if tt.want == "" {
				// A link inside a document row must never be taken for pagination.
				body = strings.ReplaceAll(body, `<a href="?page=4">Next</a> steps`, `<a href="?page=7">Next</a> steps`)
			}
			_, next, err := ParseListing([]byte(body), mustURL(t, page))
			if err != nil {
				t.Fatal(err)
			}
			if next != tt.want {
				t.Errorf("next = %q, want %q", next, tt.want)
			}
		})
	}
}

// ituServer serves listing pages from a map of path?query to fixture, with
// ETags so a second poll of page 1 gets 304.
type ituServer struct {
	mu    sync.Mutex
	pages map[string][]byte
	hits  []string
}

func (s *ituServer) set(key string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[key] = body
}

func (s *ituServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hits...)
}

func (s *ituServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	body, ok := s.pages[key]
	s.mu.Unlock()
	status := "200"
	defer func() {
		s.mu.Lock()
		s.hits = append(s.hits, key+" "+status)
		s.mu.Unlock()
	}()
	if !ok {
		status = "404"
		http.NotFound(w, r)
		return
	}
	etag := `"` + hashHex(body) + `"`
	if r.Header.Get("If-None-Match") == etag {
		status = "304"
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(body)
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func TestITUListingSourcePoll(t *testing.T) {
	srv := &ituServer{pages: map[string][]byte{
		"/md/cwg":        ituFixture(t, "cwg-internet-page1.html"),
		"/md/cwg?page=2": ituFixture(t, "cwg-internet-page2.html"),
		// page 2 links back to page 1 with ?page=1, which must not loop
		"/md/cwg?page=1": ituFixture(t, "cwg-internet-page1.html"),
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	f := NewFetcher(FetcherOptions{AllowPrivateNetworks: true})
	src := NewITUListingSource("cwg-internet", ts.URL+"/md/cwg", f, 3)
	ctx := context.Background()
	state := model.SourceState{SourceID: "cwg-internet"}

	items, state, err := src.Poll(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 6 {
		t.Fatalf("first poll: %d items, want 6 from two pages", len(items))
	}
	for _, it := range items {
		if it.SourceID != "cwg-internet" || !strings.HasPrefix(it.Link, ts.URL+"/md/") {
			t.Errorf("item %s: source %q link %q", it.ID, it.SourceID, it.Link)
		}
	}
	if want := []string{"/md/cwg 200", "/md/cwg?page=2 200"}; !reflect.DeepEqual(srv.requests(), want) {
		t.Errorf("requests = %q, want %q", srv.requests(), want)
	}
	if state.ETag == "" {
		t.Error("page 1's ETag was not kept for the next poll")
	}

	items, state, err = src.Poll(ctx, state)
	if err != nil || items != nil {
		t.Fatalf("second poll of an unchanged listing = %v, %v; want nil, nil", items, err)
	}
	if got := srv.requests(); got[len(got)-1] != "/md/cwg 304" || len(got) != 3 {
		t.Errorf("second poll requests = %q, want one conditional GET of page 1", got)
	}

	srv.set("/md/cwg", ituFixture(t, "cwg-internet-page1-later.html"))
	items, _, err = src.Poll(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	var rev *model.Item
	for i := range items {
		if items[i].ID == "CWG-Internet 18/3" {
			rev = &items[i]
		}
	}
	if len(items) != 6 || rev == nil || rev.Document.Revision != "Rev.1" {
		t.Fatalf("after the revision: %d items, 18/3 = %+v; want 6 items and 18/3 at Rev.1 under the same id", len(items), rev)
	}
}

func TestITUListingSourceMaxPages(t *testing.T) {
	srv := &ituServer{pages: map[string][]byte{
		"/md/cwg":        ituFixture(t, "cwg-internet-page1.html"),
		"/md/cwg?page=2": ituFixture(t, "cwg-internet-page2.html"),
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	src := NewITUListingSource("cwg", ts.URL+"/md/cwg", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), 1)
	items, _, err := src.Poll(context.Background(), model.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || len(srv.requests()) != 1 {
		t.Errorf("maxPages 1: %d items from %q, want 3 from page 1 only", len(items), srv.requests())
	}
}

func TestITUListingSourceFailures(t *testing.T) {
	srv := &ituServer{pages: map[string][]byte{
		"/md/cwg":    ituFixture(t, "cwg-internet-page1.html"),
		"/md/broken": ituFixture(t, "broken.html"),
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	f := NewFetcher(FetcherOptions{AllowPrivateNetworks: true})
	ctx := context.Background()

	// Page 2 is missing: the poll fails and returns no new validators for
	// page 1, so the next poll reads everything again instead of stopping
	// at a 304.
	_, state, err := NewITUListingSource("cwg", ts.URL+"/md/cwg", f, 5).Poll(ctx, model.SourceState{ETag: `"old"`})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotFound || !strings.Contains(err.Error(), "page 2") {
		t.Errorf("missing page 2: error = %v, want a 404 StatusError naming page 2", err)
	}
	if state.ETag != `"old"` {
		t.Errorf("ETag after a failed poll = %q, want the old one", state.ETag)
	}

	_, state, err = NewITUListingSource("broken", ts.URL+"/md/broken", f, 5).Poll(ctx, model.SourceState{})
	if !errors.Is(err, ErrNoDocumentTable) || state.ETag != "" || state.BodyHash != "" {
		t.Errorf("broken page: error = %v, etag %q hash %q; want ErrNoDocumentTable and no validators", err, state.ETag, state.BodyHash)
	}
}

func FuzzParseListing(f *testing.F) {
	for _, name := range []string{"cwg-internet-page1.html", "council-listing.html", "broken.html"} {
		b, err := os.ReadFile(filepath.Join("testdata", "itu", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	page, _ := url.Parse("https://www.itu.int/md/list")
	f.Fuzz(func(t *testing.T, body []byte) {
		items, _, err := ParseListing(body, page)
		if err != nil {
			return
		}
		for _, it := range items {
			if it.ID == "" || it.Document == nil || it.Document.Number != it.ID {
				t.Errorf("item with id %q and document %+v", it.ID, it.Document)
			}
		}
	})
}
