package watchers

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedNow is the clock of the feed tests: the fixtures are dated early 2026.
var fixedNow = time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)

func TestFeedGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/feeds/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range files {
		if strings.HasSuffix(path, ".golden.json") || strings.HasSuffix(path, ".html") {
			continue
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			items, err := parseFeed("fixture", body, "", "", fixedNow)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := json.MarshalIndent(items, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(path, filepath.Ext(path)) + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./watchers -run TestFeedGolden -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("items differ from %s (rerun with -update if the change is right)\ngot:\n%s", golden, got)
			}
		})
	}
	if n < 4 {
		t.Fatalf("found %d fixtures, want at least RSS, Atom, JSON Feed and RDF", n)
	}
}

// TestFeedNormalisation states the rules the golden files encode, so a
// careless -update cannot hide a regression.
func TestFeedNormalisation(t *testing.T) {
	body, err := os.ReadFile("testdata/feeds/rss2.xml")
	if err != nil {
		t.Fatal(err)
	}
	items, err := parseFeed("desk", body, "", "", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 4 {
		t.Fatalf("got %d items, want 4 (the repeated guid dropped)", len(items))
	}
	first := items[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"guid id", first.ID, "policydesk-2026-0311"},
		{"title markup gone", first.Title, "Council working group takes up Internet public policy & resolutions"},
		{"published UTC", first.Published, time.Date(2026, 3, 11, 8, 30, 0, 0, time.UTC)},
		{"summary paragraphs", first.Summary, "The open consultation asks who should decide on international Internet-related public policy.\n\nComments close in April."},
		{"categories deduplicated", strings.Join(first.Categories, "|"), "CWG-Internet|Council"},
		{"author", strings.Join(first.Authors, "|"), "Amina Verhoeven"},
		{"canonical link id", items[1].ID, "https://policydesk.example.org/2026/02/tsag-new-ip?id=77"},
		{"future date dropped", items[2].Published.IsZero(), true},
		{"hash id", strings.HasPrefix(items[3].ID, "sha256:"), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	for _, bad := range []string{"trackReader", "color:red", "<", "&nbsp;"} {
		if strings.Contains(first.Content, bad) {
			t.Errorf("content keeps %q: %q", bad, first.Content)
		}
	}
	if !strings.Contains(first.Content, "What is on the table\n\nMember states") {
		t.Errorf("content lost its paragraph break: %q", first.Content)
	}
}

func TestItemIDFallbacks(t *testing.T) {
	pub := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		guid string
		item model.Item
		want string // "" means: a sha256: id
	}{
		{"guid wins", " g-1 ", model.Item{Link: "https://a.example/x", Title: "t"}, "g-1"},
		{"canonical link", "", model.Item{Link: "HTTPS://A.Example/x?utm_source=rss#frag", Title: "t"}, "https://a.example/x"},
		{"hash of title and date", "", model.Item{Title: "t", Published: pub}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := itemID(strings.TrimSpace(tt.guid), tt.item)
			if tt.want == "" {
				if !strings.HasPrefix(got, "sha256:") || len(got) != len("sha256:")+32 {
					t.Errorf("got %q, want a sha256: id", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	a := itemID("", model.Item{Title: "t", Published: pub})
	b := itemID("", model.Item{Title: "t", Published: pub.Add(time.Hour)})
	c := itemID("", model.Item{Title: "t", Published: pub})
	if a == b || a != c {
		t.Errorf("hash ids not stable or not distinct: %s %s %s", a, b, c)
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain  text\n with   spaces", "plain text\nwith spaces"},
		{"<b>ITU</b> Council", "ITU Council"},
		{"AT&amp;T &lt;3 &#8217;s", "AT&T <3 ’s"},
		{"<p>one</p><p>two</p>", "one\n\ntwo"},
		{"line<br>break", "line\nbreak"},
		{"<script>alert(1)</script><style>b{}</style>kept", "kept"},
		{"<ul><li>a</li><li>b</li></ul>", "a\nb"},
		{`<img src="x.png" alt="chart of votes">`, "chart of votes"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := htmlToText(tt.in); got != tt.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncateText(t *testing.T) {
	s := strings.Repeat("é", 100) // 200 bytes
	got := truncateText(s, 51)
	if len(got) > 51 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("truncateText gave %d bytes %q", len(got), got)
	}
	if truncateText("short", 10) != "short" {
		t.Error("short text changed")
	}
}

func TestFeedEncodings(t *testing.T) {
	tests := []struct {
		name, body, contentType, wantTitle string
	}{
		{"declared ISO-8859-1", mustRead(t, "testdata/feeds/latin1-declared.xml"), "", "Conferência da UIT discute governança da Internet"},
		{"undeclared Latin-1", mustRead(t, "testdata/feeds/latin1-undeclared.xml"), "", "Conferência da UIT discute governança"},
		{"charset from Content-Type", "<rss version=\"2.0\"><channel><title>x</title><item><title>Gen\xe8ve</title><guid>1</guid></item></channel></rss>", "application/rss+xml; charset=ISO-8859-1", "Genève"},
		{"UTF-8 with one stray byte", "<rss version=\"2.0\"><channel><title>x</title><item><title>Genève \xff réunion</title><guid>1</guid></item></channel></rss>", "", "Genève \uFFFD réunion"},
		{"BOM and blank lines", "\xef\xbb\xbf\n\n  <rss version=\"2.0\"><channel><title>x</title><item><title>TSAG</title><guid>1</guid></item></channel></rss>", "", "TSAG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := parseFeed("s", []byte(tt.body), tt.contentType, "", fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Title != tt.wantTitle {
				t.Fatalf("got %+v, want one item titled %q", items, tt.wantTitle)
			}
		})
	}
}

func TestFeedHTMLPage(t *testing.T) {
	body := mustRead(t, "testdata/feeds/html-page.html")
	_, err := parseFeed("s", []byte(body), "text/html", "https://policydesk.example.org/news", fixedNow)
	if !errors.Is(err, ErrHTMLNotFeed) {
		t.Fatalf("err = %v, want ErrHTMLNotFeed", err)
	}
	if !strings.Contains(err.Error(), "the URL returned an HTML page, not a feed") || !strings.Contains(err.Error(), "https://policydesk.example.org/feed.xml") {
		t.Errorf("error does not tell what to do: %v", err)
	}
	_, err = parseFeed("s", []byte("<note><to>x</to></note>"), "", "", fixedNow)
	if err == nil || !strings.Contains(err.Error(), "not a feed") {
		t.Errorf("unknown XML: err = %v", err)
	}
}

func TestFeedItemCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>big</title>`)
	const n = maxFeedItems + 500
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		// Oldest first, so the cap must pick by date, not by position.
		fmt.Fprintf(&b, "<item><title>doc %d</title><guid>g%d</guid><pubDate>%s</pubDate></item>", i, i, start.Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	items, err := parseFeed("s", []byte(b.String()), "", "", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != maxFeedItems {
		t.Fatalf("got %d items, want %d", len(items), maxFeedItems)
	}
	if items[0].ID != fmt.Sprintf("g%d", n-1) {
		t.Errorf("first kept item %s, want the newest g%d", items[0].ID, n-1)
	}
	for _, it := range items {
		if it.ID == "g0" {
			t.Fatal("the oldest item was kept")
		}
	}
}

func TestFeedSourcePoll(t *testing.T) {
	body := mustRead(t, "testdata/feeds/atom.xml")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		if r.URL.Path == "/broken" {
			_, _ = w.Write([]byte("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>cut"))
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivateNetworks: true})
	src := NewFeedSource("pp", srv.URL+"/feed", f)
	var st model.SourceState
	items, st, err := src.Poll(context.Background(), st)
	if err != nil || len(items) != 2 {
		t.Fatalf("first poll: %d items, %v", len(items), err)
	}
	if items[1].Link != srv.URL+"/events/wsis-side-event" && items[1].Link != "https://pptracker.example.net/events/wsis-side-event" {
		t.Errorf("relative link not resolved: %q", items[1].Link)
	}
	if items[0].Link != "https://pptracker.example.net/res-102-draft" {
		t.Errorf("google redirect not unwrapped: %q", items[0].Link)
	}
	items, _, err = src.Poll(context.Background(), st)
	if err != nil || items != nil {
		t.Fatalf("same body again: items %v, err %v; want nil, nil", items, err)
	}

	broken := NewFeedSource("b", srv.URL+"/broken", f)
	var bst model.SourceState
	for i := range 2 {
		var err error
		// What a failed poll returns must not remember the body either.
		if _, bst, err = broken.Poll(context.Background(), bst); err == nil {
			t.Fatalf("poll %d of a broken feed succeeded", i+1)
		}
	}
	if bst.BodyHash != "" {
		t.Errorf("a body that failed to parse was remembered: %q", bst.BodyHash)
	}
}

// TestRealWorldSamples runs the stored captures of real feeds through the
// parser; they live outside the repository and are skipped when absent.
func TestRealWorldSamples(t *testing.T) {
	dir := "../../shared/samples/feeds-realworld"
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	edge, _ := filepath.Glob("../../shared/samples/feeds-edgecases/*")
	files = append(files, edge...)
	if len(files) == 0 {
		t.Skip("no samples in ../../shared/samples")
	}
	mustFail := map[string]bool{
		"gofeed__unknown_feed.xml":        true,
		"feedjira__InvalidDateFormat.xml": true, // truncated file
	}
	minItems := map[string]int{
		"rss-parser__guardian.rss":               55,
		"rss-parser__uolNoticias.rss":            1,
		"rss-parser__encoding.rss":               40,
		"rss-parser__rss-1.rss":                  60,
		"feedjira__google_alerts_atom.xml":       20,
		"feedjira__json_feed.json":               20,
		"feedjira__TechCrunch.xml":               20,
		"feedjira__DuplicateContentAtomFeed.xml": 1,
	}
	for _, path := range files {
		name := filepath.Base(path)
		if name == "README.md" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			items, err := parseFeed("sample", body, "", "", fixedNow)
			if mustFail[name] {
				if err == nil {
					t.Fatalf("parsed %d items, want an error", len(items))
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(items) < minItems[name] {
				t.Errorf("got %d items, want at least %d", len(items), minItems[name])
			}
			ids := map[string]bool{}
			for _, it := range items {
				if it.ID == "" || ids[it.ID] {
					t.Errorf("empty or repeated id %q", it.ID)
				}
				ids[it.ID] = true
				for field, s := range map[string]string{"title": it.Title, "summary": it.Summary, "content": it.Content} {
					if !utf8.ValidString(s) {
						t.Errorf("%s of %s is not valid UTF-8", field, it.ID)
					}
				}
				if strings.Contains(it.Title, "<b>") || strings.Contains(it.Title, "</") {
					t.Errorf("title keeps markup: %q", it.Title)
				}
				if it.Published.After(fixedNow.Add(futureDateSlop)) {
					t.Errorf("future date kept: %v", it.Published)
				}
				if len(it.Content) > maxContentLen {
					t.Errorf("content of %d bytes", len(it.Content))
				}
			}
			if name == "rss-parser__uolNoticias.rss" && !strings.Contains(items[0].Title+items[0].Summary, "í") && !strings.Contains(fmt.Sprint(items), "Ú") {
				t.Errorf("Latin-1 text not decoded: %q", items[0].Title)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// collapseSpace and tidyLines return text already in shape as it is,
// without allocating; the result must be what the plain definition gives.
func TestCollapseSpaceAndTidyLinesFastPath(t *testing.T) {
	plainCollapse := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	plainTidy := func(s string) string {
		var out []string
		blank := false
		for _, l := range strings.Split(s, "\n") {
			l = plainCollapse(l)
			switch {
			case l == "":
				blank = len(out) > 0
			case blank:
				out, blank = append(out, "", l), false
			default:
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	pieces := []string{"a", "bc", " ", "  ", "\n", "\n\n", "\t", "\r", "\u00a0", "\u2003", "é", "\xff"}
	r := rand.New(rand.NewPCG(7, 7))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := collapseSpace(s), plainCollapse(s); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
		if got, want := tidyLines(s), plainTidy(s); got != want {
			t.Fatalf("tidyLines(%q) = %q, want %q", s, got, want)
		}
	}
	tidyText := "A title with single spaces\n\nA second paragraph."
	if n := testing.AllocsPerRun(100, func() { tidyLines(tidyText); collapseSpace(tidyText[:26]) }); n != 0 {
		t.Errorf("tidy text took %v allocations, want 0", n)
	}
}
