package web

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// now is a Thursday: its week began on Monday 2 November 2026.
var now = time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)

const (
	hostileTitle   = `<script>alert("title")</script> New IP`
	hostileSnippet = `<img src=x onerror=alert(1)>`
)

func builtin(t testing.TB) (*rules.Engine, []*rules.Pack) {
	t.Helper()
	p, err := rules.LoadPack("builtin:itu")
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return e, []*rules.Pack{p}
}

func match(topic, name string, quote ...model.SnippetPart) model.Match {
	return model.Match{Topic: topic, TopicName: name, Severity: model.SeverityHigh, Score: 4.5,
		Annotation: "Why " + name + " matters.\nSecond paragraph.",
		Hits:       []model.Hit{{Term: "dns", Text: "DNS", Field: "title"}},
		Snippets:   []model.Snippet{{Field: "summary", Parts: quote}}}
}

// fixture is a store with four DNS alerts in the week of 2 November, a
// New IP alert on a PP-26 document with an update, a claim and notes, and
// an alert whose every field a hostile feed wrote.
func fixture() *fakeStore {
	f := &fakeStore{claims: map[int64]model.AlertClaim{}, notes: map[int64][]model.AlertNote{}}
	for i := range 4 {
		f.add(model.Alert{Kind: model.AlertNew, CreatedAt: time.Date(2026, 11, 2+i, 9, 0, 0, 0, time.UTC),
			Item: model.Item{SourceID: "itu-news", ID: "dns" + string(rune('0'+i)), Title: "ITU weighs DNS alternatives", Link: "https://www.itu.int/news/dns",
				Published: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)},
			Matches: []model.Match{match("dns-naming", "ITU and the domain name system", model.SnippetPart{Text: "a study of "}, model.SnippetPart{Text: "DNS", Hit: true}, model.SnippetPart{Text: " roots"})}})
	}
	doc := &model.DocumentRef{Number: "PP26/1", Series: "PP", Meeting: "26", Seq: "1", Addendum: "Add.14", Languages: []string{"E", "F"}, Proposers: []string{"RCC"}}
	parent := f.add(model.Alert{Kind: model.AlertNew, CreatedAt: time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC),
		Item:           model.Item{SourceID: "pp26-docs", ID: "pp26-1-14", Title: "Common proposals: Resolution 102", Link: "https://www.itu.int/md/S26-PP-C-0001/en", Document: doc, Published: time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC)},
		Matches:        []model.Match{match("new-ip", "New IP", model.SnippetPart{Text: "a "}, model.SnippetPart{Text: "new IP", Hit: true}, model.SnippetPart{Text: " protocol"})},
		AlsoReportedBy: []string{"Telecom Trade Wire"}})
	f.claims[parent] = model.AlertClaim{AlertID: parent, State: model.Claimed, By: model.Person{Platform: "slack", ID: "U1", Name: "Alice Example"}, At: now}
	f.notes[parent] = []model.AlertNote{{AlertID: parent, By: model.Person{Name: "Bob"}, Text: "Raise it with the delegation", At: time.Date(2026, 10, 21, 10, 0, 0, 0, time.UTC)}}
	rev := *doc
	rev.Revision = "Rev.1"
	f.add(model.Alert{Kind: model.AlertUpdate, ParentID: parent, Change: "Rev.1", CreatedAt: time.Date(2026, 10, 27, 9, 0, 0, 0, time.UTC),
		Item:    model.Item{SourceID: "pp26-docs", ID: "pp26-1-14", Title: "Common proposals: Resolution 102", Link: "https://www.itu.int/md/S26-PP-C-0001/en", Document: &rev},
		Matches: []model.Match{match("new-ip", "New IP")},
		Diff: &model.TextDiff{Added: 1, Reworded: 1, Version: "Rev.1", Lines: []model.DiffLine{
			{Kind: model.DiffAdded, Parts: []model.DiffPart{{Text: "Member States shall study the "}, {Text: "new IP", Hit: true}, {Text: "."}}},
			{Kind: model.DiffChanged, Parts: []model.DiffPart{{Text: "The Union "}, {Text: "may", Op: model.DiffDel}, {Text: "shall", Op: model.DiffIns}, {Text: " coordinate."}}},
		}}})
	f.add(model.Alert{Kind: model.AlertNew, CreatedAt: time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC),
		Item: model.Item{SourceID: `<b>src</b>`, ID: "evil", Title: hostileTitle, Link: "javascript:alert(1)",
			Document: &model.DocumentRef{Number: `PP26/<script>9</script>`, Series: "PP", Meeting: "26", Seq: "9", Proposers: []string{`<svg onload=alert(2)>`}}},
		Matches:        []model.Match{{Topic: `x"><script>`, TopicName: hostileSnippet, Severity: model.SeverityLow, Score: 1, Annotation: "<script>why()</script>", Snippets: []model.Snippet{{Field: "summary", Parts: []model.SnippetPart{{Text: hostileSnippet, Hit: true}}}}}},
		AlsoReportedBy: []string{"<i>outlet</i>"}})
	f.hits = []model.SearchHit{
		{Item: f.alerts[4].Item, AlertID: 5, Topics: []string{"new-ip"}, Snippet: model.Snippet{Parts: []model.SnippetPart{{Text: "Resolution "}, {Text: "102", Hit: true}}}},
		{Item: model.Item{SourceID: "itu-news", ID: "plain", Title: "ITU Council opens", Link: "https://www.itu.int/council", Published: time.Date(2026, 6, 9, 0, 0, 0, 0, time.UTC)}},
		{Item: f.alerts[6].Item, AlertID: 7, Topics: []string{`x"><script>`}, Snippet: model.Snippet{Parts: []model.SnippetPart{{Text: hostileSnippet, Hit: true}}}},
	}
	f.states = []model.SourceState{
		{SourceID: "itu-news", LastPoll: now.Add(-time.Hour), LastSuccess: now.Add(-time.Hour), NextPoll: now.Add(time.Hour)},
		{SourceID: "pp26-docs", LastPoll: now.Add(-time.Hour), LastSuccess: now.Add(-48 * time.Hour), ConsecutiveFailures: 3, NextPoll: now.Add(6 * time.Hour), LastError: "GET https://www.itu.int/md/?key=SECRET-KEY: 503 Service Unavailable", Warning: "the listing table had no readable row"},
	}
	f.docs = []model.DocumentItem{
		{Item: f.alerts[5].Item, AlertID: 6, Topics: []string{"new-ip"}, LastSeen: time.Date(2026, 10, 27, 9, 0, 0, 0, time.UTC), RowID: 5},
		{Item: model.Item{SourceID: "cwg", ID: "c1", Title: "Draft report", Document: &model.DocumentRef{Number: "CWG-Internet 24/3", Series: "CWG-Internet", Meeting: "24", Seq: "3", Languages: []string{"E"}}, Published: time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)}, LastSeen: time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC), RowID: 2},
		{Item: f.alerts[6].Item, AlertID: 7, Topics: []string{`x"><script>`}, LastSeen: time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC), RowID: 7},
	}
	return f
}

func newTestHandler(t testing.TB, f *fakeStore, mod func(*Options)) http.Handler {
	t.Helper()
	eng, packs := builtin(t)
	o := Options{
		Store: f, Engine: eng, Packs: packs, Now: func() time.Time { return now }, Version: "test", Logger: slog.New(slog.DiscardHandler),
		Sources: []Source{
			{ID: "itu-news", Name: "ITU Newsroom", Type: "rss", URL: "https://www.itu.int/en/mediacentre/rss?key=SECRET-KEY", Schedule: "@every 1h"},
			{ID: "pp26-docs", Name: "PP-26 contributions", Type: "itu-listing", URL: "https://www.itu.int/md/S26-PP-C/en", Schedule: "@every 6h"},
			{ID: "new-one", Name: "Not polled yet", Type: "atom", URL: "https://example.org/feed", Schedule: "@daily"},
		},
		Meetings: []config.Meeting{{Name: "Council 2026", Start: time.Date(2026, 6, 9, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 6, 19, 0, 0, 0, 0, time.UTC)}},
	}
	if mod != nil {
		mod(&o)
	}
	h, err := NewHandler(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t testing.TB, h http.Handler, method, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t testing.TB, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkHeaders(t *testing.T, r *http.Response) {
	t.Helper()
	if got := r.Header.Get("Content-Security-Policy"); got != csp {
		t.Errorf("Content-Security-Policy = %q; want %q", got, csp)
	}
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := r.Header.Get("Referrer-Policy"); got == "" {
		t.Error("no Referrer-Policy")
	}
}

// TestPages renders each page against golden HTML: status, content type,
// security headers, and what a reader sees.
func TestPages(t *testing.T) {
	h := newTestHandler(t, fixture(), nil)
	tests := []struct {
		name, path string
		status     int
		want       []string
	}{
		{"timeline", "/", 200, []string{
			`aria-label="ITU and the domain name system: 4 alerts in week of 2 Nov 2026"`,
			`href="/alerts?topic=dns-naming&amp;week=2026-W45"`,
			`Council 2026, 9–19 Jun 2026`,
		}},
		{"week", "/alerts?topic=dns-naming&week=2026-W45", 200, []string{"Alerts on ITU and the domain name system in the week of 2 Nov 2026", `href="/alerts/4"`, `href="/alerts/1"`, "<mark>DNS</mark>"}},
		{"alert", "/alerts/5", 200, []string{"Common proposals: Resolution 102", "<mark>new IP</mark>", "Why New IP matters.", "Second paragraph.", "Telecom Trade Wire", "claimed by Alice Example", "Raise it with the delegation", `href="/alerts/6"`, `href="https://www.itu.int/md/S26-PP-C-0001/en"`}},
		{"update", "/alerts/6", 200, []string{`href="/alerts/5"`, "Rev.1 rewords 1 sentence, adds 1", "<del>may</del>", "<ins>shall</ins>"}},
		{"search", "/search?q=Resolution+102", 200, []string{"3 results", `href="/alerts/5"`, `href="https://www.itu.int/council"`, "no alert", "<mark>102</mark>"}},
		{"search-filtered", "/search?q=Resolution&proposer=rcc&from=2026-10-01&to=2026-10-31", 200, []string{"1 result", `href="/alerts/5"`, "The filters pick among the 200 best matches of the words"}},
		{"documents", "/documents", 200, []string{`href="/documents/PP-26"`, `href="/documents/CWG-Internet-24"`}},
		{"meeting", "/documents/PP-26", 200, []string{"PP26/1 Add.14", "Rev.1", "E, F", "RCC", "New IP"}},
		{"sources", "/sources", 200, []string{"3 sources: 1 healthy, 1 failing, 0 retired, 1 not polled yet", "3 failures in a row", "503 Service Unavailable", "the listing table had no readable row", "https://www.itu.int/en/mediacentre/rss", "about 5 Nov 2026 13:00 UTC", "not before 5 Nov 2026 18:00 UTC (waiting after failures)"}},
		{"rules-test", "/rules/test?text=The+ITU+study+group+discussed+New+IP+and+a+redesigned+network+layer", 200, []string{"Topics matched", "(new-ip)", "<mark>New IP</mark>"}},
		{"not-found", "/alerts/999", 404, []string{"Not found"}},
		{"bad-week", "/alerts?week=2026-W60", 400, []string{"is not a week"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, h, "GET", tt.path, nil)
			b := body(t, r)
			if r.StatusCode != tt.status {
				t.Errorf("status = %d; want %d", r.StatusCode, tt.status)
			}
			if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			checkHeaders(t, r)
			if strings.Contains(b, "SECRET-KEY") {
				t.Error("page shows the key in a source's address")
			}
			for _, w := range tt.want {
				if !strings.Contains(b, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			golden(t, tt.name, b)
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.html")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./web -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("page differs from %s (go test ./web -update rewrites it after a deliberate change):\n%s", path, firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\nwant: " + w + "\n got: " + g
		}
	}
	return ""
}

// TestHostileFeedText: what a feed wrote is shown as text on every page,
// never as markup, and a javascript: link is never linked.
func TestHostileFeedText(t *testing.T) {
	h := newTestHandler(t, fixture(), nil)
	for _, path := range []string{"/", "/alerts/7", "/alerts", "/alerts?topic=x%22%3E%3Cscript%3E", "/search?q=evil", "/documents/PP-26", "/rules/test?title=%3Cscript%3Ealert(1)%3C/script%3E&text=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E+New+IP+at+the+ITU"} {
		t.Run(path, func(t *testing.T) {
			r := get(t, h, "GET", path, nil)
			b := body(t, r)
			if r.StatusCode != 200 {
				t.Fatalf("status %d", r.StatusCode)
			}
			for _, bad := range []string{"<script", "<img", "<svg onload", "<b>src", "<i>outlet", "javascript:"} {
				if strings.Contains(b, bad) {
					t.Errorf("page carries %q as markup", bad)
				}
			}
			if !strings.Contains(b, "&lt;script&gt;") && !strings.Contains(b, "&lt;img") {
				t.Errorf("page does not show the hostile text as text")
			}
		})
	}
}

func TestReadOnly(t *testing.T) {
	h := newTestHandler(t, fixture(), nil)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		for _, path := range []string{"/", "/rules/test?text=x", "/alerts/5"} {
			r := get(t, h, m, path, nil)
			if r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s = %d, Allow %q; want 405 with Allow: GET, HEAD", m, path, r.StatusCode, r.Header.Get("Allow"))
			}
			checkHeaders(t, r)
		}
	}
	r := get(t, h, "HEAD", "/alerts/5", nil)
	if r.StatusCode != 200 || body(t, r) != "" {
		t.Errorf("HEAD = %d with a body", r.StatusCode)
	}
}

func TestAuth(t *testing.T) {
	const password = "correct-horse-battery"
	// Refused outright: a network address without auth.
	for _, listen := range []string{":8080", "0.0.0.0:8080", "192.0.2.1:80"} {
		if _, err := NewHandler(Options{Store: fixture(), Listen: listen}); err == nil || !strings.Contains(err.Error(), "web.auth") {
			t.Errorf("NewHandler(listen %s, no auth) = %v; want an error naming web.auth", listen, err)
		}
	}
	if _, err := NewHandler(Options{Store: fixture(), Listen: "127.0.0.1:8080"}); err != nil {
		t.Errorf("loopback without auth: %v", err)
	}
	basic := newTestHandler(t, fixture(), func(o *Options) {
		o.Listen = ":8080"
		o.Auth = config.WebAuth{Basic: &config.WebBasic{User: "policy", Password: config.Secret(password)}}
	})
	proxy := newTestHandler(t, fixture(), func(o *Options) {
		o.Listen = ":8080"
		o.Auth = config.WebAuth{ProxyHeader: "X-Forwarded-User", Allow: []string{"alice@example.org"}}
	})
	basicAuth := func(u, p string) map[string]string {
		req := httptest.NewRequest("GET", "/", nil)
		req.SetBasicAuth(u, p)
		return map[string]string{"Authorization": req.Header.Get("Authorization")}
	}
	tests := []struct {
		name   string
		h      http.Handler
		hdr    map[string]string
		status int
	}{
		{"basic: none", basic, nil, 401},
		{"basic: wrong password", basic, basicAuth("policy", "guess"), 401},
		{"basic: wrong user", basic, basicAuth("admin", password), 401},
		{"basic: right", basic, basicAuth("policy", password), 200},
		{"proxy: no header", proxy, nil, 401},
		{"proxy: someone else", proxy, map[string]string{"X-Forwarded-User": "mallory@example.org"}, 403},
		{"proxy: allowed", proxy, map[string]string{"X-Forwarded-User": "Alice@Example.org"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/", "/alerts/5", "/static/style.css", "/nope"} {
				r := get(t, tt.h, "GET", path, tt.hdr)
				b := body(t, r)
				want := tt.status
				if want == 200 && path == "/nope" {
					want = 404
				}
				if r.StatusCode != want {
					t.Errorf("%s = %d; want %d", path, r.StatusCode, want)
				}
				if tt.status == 401 && tt.h == basic && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("%s: 401 without a Basic challenge", path)
				}
				if strings.Contains(b, password) || strings.Contains(b, "SECRET-KEY") {
					t.Errorf("%s shows a secret", path)
				}
				checkHeaders(t, r)
			}
		})
	}
}

// TestTimelineReadsOnlyNewAlerts: the timeline counts a new alert without
// reading the old ones again, and does not read at all when none is new.
func TestTimelineReadsOnlyNewAlerts(t *testing.T) {
	f := fixture()
	h := newTestHandler(t, f, nil)
	b := body(t, get(t, h, "GET", "/", nil))
	if !strings.Contains(b, "4 alerts in week of 2 Nov 2026") {
		t.Fatal("first timeline lacks the week's 4 DNS alerts")
	}
	reads := f.reads
	body(t, get(t, h, "GET", "/", nil))
	if f.reads != reads {
		t.Errorf("the timeline read alerts again with none new (%d reads, then %d)", reads, f.reads)
	}
	f.add(model.Alert{Kind: model.AlertNew, CreatedAt: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC), Item: model.Item{Title: "fifth"},
		Matches: []model.Match{match("dns-naming", "DNS")}})
	b = body(t, get(t, h, "GET", "/", nil))
	if !strings.Contains(b, "ITU and the domain name system: 5 alerts in week of 2 Nov 2026") {
		t.Error("the new alert is not counted")
	}
	if f.reads != reads+1 {
		t.Errorf("reads = %d; want one more than %d", f.reads, reads)
	}
}

func TestBaseURLPrefix(t *testing.T) {
	h := newTestHandler(t, fixture(), func(o *Options) { o.BaseURL = "https://ituwatch.example.org/itu/" })
	for _, path := range []string{"/itu/alerts/5", "/alerts/5"} { // proxies that strip the prefix, and those that do not
		r := get(t, h, "GET", path, nil)
		b := body(t, r)
		if r.StatusCode != 200 || !strings.Contains(b, `href="/itu/alerts/6"`) || !strings.Contains(b, `href="/itu/static/style.css"`) {
			t.Errorf("%s = %d; links lack the /itu prefix", path, r.StatusCode)
		}
	}
}

func TestRulesPage(t *testing.T) {
	h := newTestHandler(t, fixture(), nil)
	r := get(t, h, "GET", "/rules", nil)
	b := body(t, r)
	for _, w := range []string{`id="topic-new-ip"`, "any phrase of the set", "none of:", `href="/rules/test"`} {
		if !strings.Contains(b, w) {
			t.Errorf("rules page lacks %q", w)
		}
	}
	// Too long a text is refused, not matched.
	r = get(t, h, "GET", "/rules/test?text="+strings.Repeat("a", 5000), nil)
	if r.StatusCode != 400 {
		t.Errorf("a 5,000-character text = %d; want 400", r.StatusCode)
	}
}

func TestSearchCoverageNote(t *testing.T) {
	f := fixture()
	f.cov = model.SearchCoverage{Partial: true, Searched: 200000}
	b := body(t, get(t, newTestHandler(t, f, nil), "GET", "/search?q=ITU", nil))
	if !strings.Contains(b, "Only the newest 200000 items were searched in time") {
		t.Error("a partial search does not say so")
	}
}

func TestStoreFailureSaysSoWithoutDetails(t *testing.T) {
	f := fixture()
	f.err = errors.New("disk I/O error at /secret/path")
	r := get(t, newTestHandler(t, f, nil), "GET", "/alerts/5", nil)
	b := body(t, r)
	if r.StatusCode != 500 || strings.Contains(b, "/secret/path") || !strings.Contains(b, "try again") {
		t.Errorf("store failure = %d: %s", r.StatusCode, b)
	}
}

func TestISOWeeks(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-W45", time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), true},
		{"2026-W01", time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC), true},
		{"2026-W53", time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC), true},
		{"2025-W53", time.Time{}, false},
		{"2026-W5", time.Time{}, false},
		{"2026-45", time.Time{}, false},
	} {
		got, ok := parseISOWeek(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseISOWeek(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && isoWeek(got) != tt.in {
			t.Errorf("isoWeek(%v) = %q; want %q", got, isoWeek(got), tt.in)
		}
	}
}

func TestMeetingPages(t *testing.T) {
	f := fixture()
	f.docs = nil
	for i := range meetingPageSize + 3 {
		f.docs = append(f.docs, model.DocumentItem{RowID: int64(i + 1), LastSeen: now,
			Item: model.Item{SourceID: "c", ID: strconv.Itoa(i), Title: "Doc", Document: &model.DocumentRef{Number: "C26/" + strconv.Itoa(i+1), Series: "C", Meeting: "26", Seq: strconv.Itoa(i + 1)}}})
	}
	h := newTestHandler(t, f, nil)
	b := body(t, get(t, h, "GET", "/documents/C26", nil))
	if !strings.Contains(b, "503 documents") || !strings.Contains(b, "C26/500<") || strings.Contains(b, "C26/501<") || !strings.Contains(b, `href="/documents/C26?page=2"`) {
		t.Error("the first page of a large meeting does not stop at 500 documents with a link to the rest")
	}
	b = body(t, get(t, h, "GET", "/documents/C26?page=2", nil))
	if !strings.Contains(b, "C26/503<") || strings.Contains(b, "C26/2<") || !strings.Contains(b, "501 to 503 here") {
		t.Error("the second page does not list the rest")
	}
	if r := get(t, h, "GET", "/documents/C26?page=3", nil); r.StatusCode != 400 {
		t.Errorf("page 3 = %d; want 400", r.StatusCode)
	}
	if r := get(t, h, "GET", "/documents/nope", nil); r.StatusCode != 404 {
		t.Errorf("an unknown meeting = %d; want 404", r.StatusCode)
	}
}

func TestWarmFillsTheCaches(t *testing.T) {
	f := fixture()
	h := newTestHandler(t, f, nil)
	if err := h.(interface{ Warm(context.Context) error }).Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	reads := f.reads
	if reads == 0 {
		t.Fatal("Warm read no alerts")
	}
	body(t, get(t, h, "GET", "/", nil))
	if f.reads != reads {
		t.Errorf("the first page after Warm read the alerts again")
	}
}

// A summary of held alerts and a digest page have pages too: their words,
// not an empty alert.
func TestSummaryAndDigestPages(t *testing.T) {
	f := fixture()
	sum := f.add(model.Alert{Kind: model.AlertSummary, CreatedAt: now, Item: model.Item{SourceID: "itu-news", ID: "x"},
		Held: &model.HeldAlerts{Source: "itu-news", Destination: "slack:C1", Count: 12, Limit: 20, Topics: []string{"new-ip"}}})
	dig := f.add(model.Alert{Kind: model.AlertDigest, CreatedAt: now, Item: model.Item{SourceID: "digest", ID: "d"},
		Digest: &model.Digest{Destination: "slack:C1"}})
	h := newTestHandler(t, f, nil)
	r := get(t, h, "GET", "/alerts/"+strconv.FormatInt(sum, 10), nil)
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, "12") || !strings.Contains(b, "<h1>") {
		t.Errorf("summary page = %d:\n%s", r.StatusCode, b)
	}
	r = get(t, h, "GET", "/alerts/"+strconv.FormatInt(dig, 10), nil)
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, "Digest #") {
		t.Errorf("digest page = %d:\n%s", r.StatusCode, b)
	}
}

func TestStaticFilesOnly(t *testing.T) {
	h := newTestHandler(t, fixture(), nil)
	if r := get(t, h, "GET", "/static/style.css", nil); r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css = %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r := get(t, h, "GET", "/static/", nil); r.StatusCode != 404 {
		t.Errorf("/static/ = %d; want 404, not a listing", r.StatusCode)
	}
}
