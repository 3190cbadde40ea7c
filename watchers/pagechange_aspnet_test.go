package watchers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// The aspnet-*.html fixtures are built like ITU's SharePoint pages: every
// visible element inside <form id="aspnetForm">, with __VIEWSTATE and the
// request digest, the SharePoint ribbon, a master-page header (date stamp,
// banner, a search box that is not a form of its own), a mega menu, the left
// navigation, web-part zones inside #content, and a footer. The -churn and
// -after versions change what changes on its own between two visits (view
// state, digest, date stamp, banner, one menu entry, one footer link, a
// visitor counter, "Page last updated").

func TestExtractPageASPNETGolden(t *testing.T) {
	for _, name := range []string{
		"aspnet-fg-before", "aspnet-fg-after", "aspnet-cwg-before", "aspnet-cwg-after",
		"aspnet-council-before", "aspnet-council-after", "aspnet-navonly",
	} {
		t.Run(name, func(t *testing.T) {
			p, err := ExtractPage(ituFixture(t, name+".html"), "")
			if err != nil {
				t.Fatal(err)
			}
			got := "title: " + p.Title + "\nwarning: " + p.Warning + "\n---\n" + p.Text + "\n"
			golden := filepath.Join("testdata", "itu", name+".golden.txt")
			if ituUpdateGolden() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("ExtractPage(%s) differs from %s:\n%s", name, golden, got)
			}
			for _, chrome := range []string{"Careers", "Committed to connecting", "Radiocommunication", "Browse",
				"Terms of reference", "Privacy notice", "Visitors today", "December 2026", "Search", "secured browser"} {
				if strings.Contains(p.Text, chrome) {
					t.Errorf("watched text holds page chrome %q:\n%s", chrome, p.Text)
				}
			}
		})
	}
}

// The selector is applied to the page as served: #content lies inside the
// aspnetForm that wraps the whole body.
func TestExtractPageASPNETSelector(t *testing.T) {
	for _, name := range []string{"aspnet-fg-before", "aspnet-cwg-before", "aspnet-council-before"} {
		t.Run(name, func(t *testing.T) {
			body := ituFixture(t, name+".html")
			auto, err := ExtractPage(body, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, sel := range []string{"#content", "#DeltaPlaceHolderMain", "form#aspnetForm #content"} {
				p, err := ExtractPage(body, sel)
				if err != nil {
					t.Fatalf("selector %q: %v", sel, err)
				}
				if p.Text != auto.Text || p.Warning != "" {
					t.Errorf("selector %q watches\n%s\n(warning %q), want the main content:\n%s", sel, p.Text, p.Warning, auto.Text)
				}
			}
			// One web part alone is what the selector says, nothing more.
			p, err := ExtractPage(body, "#WebPartWPQ2")
			if err != nil {
				t.Fatal(err)
			}
			if p.Text == "" || !strings.Contains(auto.Text, p.Text) || len(p.Text) >= len(auto.Text) {
				t.Errorf("#WebPartWPQ2 watches %q, want a part of the content", p.Text)
			}
		})
	}
}

func TestExtractPageWarnings(t *testing.T) {
	tests := []struct {
		name, html, selector string
		want                 []string // in the warning; none: no warning
	}{
		{name: "content page", html: string(ituFixture(t, "aspnet-fg-before.html"))},
		{name: "a page whose content is a list of links", html: string(ituFixture(t, "aspnet-navonly.html")),
			want: []string{"mostly links", "selector"}},
		{name: "a selector that picks the menu", html: string(ituFixture(t, "aspnet-fg-before.html")), selector: "#megamenu",
			want: []string{"mostly links", `"#megamenu"`}},
		{name: "a list of long link titles is content", html: `<main><h1>Open consultations</h1><ul>` +
			`<li><a href="/c1">Public policy considerations for the management of Internet domain names and addresses</a></li>` +
			`<li><a href="/c2">October 2025: connecting the unconnected, meaningful connectivity</a></li>` +
			`<li><a href="/c3">February 2025: the environmental impact of the Internet</a></li>` +
			`<li><a href="/c4">September 2024: bridging the digital gender divide</a></li></ul></main>`},
		{name: "tiny content", html: `<html><body><form id="aspnetForm"><input type="hidden" name="__VIEWSTATE" value="/wEPDw"/>` +
			`<div id="megamenu"><ul><li><a href="/a">About ITU</a></li><li><a href="/b">News</a></li></ul></div>` +
			`<div id="content"><p>Coming soon.</p></div></form></body></html>`,
			want: []string{"only 12 characters", "selector"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ExtractPage([]byte(tt.html), tt.selector)
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.want) == 0 && p.Warning != "" {
				t.Errorf("warning %q, want none", p.Warning)
			}
			if len(tt.want) > 0 && p.Warning == "" {
				t.Errorf("no warning, want one saying %q; text:\n%s", tt.want, p.Text)
			}
			for _, w := range tt.want {
				if !strings.Contains(p.Warning, w) {
					t.Errorf("warning %q does not say %q", p.Warning, w)
				}
			}
		})
	}
}

// What an element is decides whether it is noise, and nothing that holds the
// content is ever removed.
func TestExtractPageNoise(t *testing.T) {
	tests := []struct {
		name, html, selector, want string
	}{
		{
			name: "a form wrapping the body is a container; a small form is a search box",
			html: `<body><form id="aspnetForm"><input type="hidden" name="__VIEWSTATE" value="x"/>` +
				`<form action="/search"><label>Search ITU</label></form>` +
				`<div class="body"><p>Call for contributions to the fifth meeting.</p><p>Deadline 2 June 2027.</p></div></form></body>`,
			want: "Call for contributions to the fifth meeting.\nDeadline 2 June 2027.",
		},
		{
			name: "chrome named by id and class, SharePoint's among them",
			html: `<body><div id="s4-ribbonrow">Browse Page</div><div class="itu-megamenu"><a href="/a">About ITU</a></div>` +
				`<div id="sideNavBox"><a href="/b">Home</a></div><div class="ms-core-navigation"><a href="/c">Meetings</a></div>` +
				`<div id="DeltaTopNavigation">Top</div><ol class="breadcrumbs"><li>ITU</li></ol>` +
				`<div class="page"><p>The group meets in Geneva.</p></div><div id="itu-footer">Privacy notice</div></body>`,
			want: "The group meets in Geneva.",
		},
		{
			name: "a chrome name on a container of the content does not remove the content",
			html: `<body><div class="layout-with-leftnav"><ul class="leftnav"><li>Home</li></ul>` +
				`<div id="content"><p>Consultation open until 15 January 2027.</p></div></div></body>`,
			want: "Consultation open until 15 January 2027.",
		},
		{
			name: "a teaser article in the mega menu is chrome",
			html: `<body><div class="mega-menu"><article class="content"><h3>Featured</h3><p>ITU at 160: a year of events, exhibitions and ` +
				`talks around the world, with a timeline of the Union since 1865 and the stories of its people.</p></article></div>` +
				`<div class="page"><article><p>Third meeting report published.</p></article></div></body>`,
			want: "Third meeting report published.",
		},
		{
			name: "hidden chrome goes, a collapsed section of the content stays",
			html: `<body><div style="display:none" id="imgPrefetch">prefetch</div><div id="content"><p>Meetings</p>` +
				`<div class="accordion-panel" style="display: none"><p>Archived: first meeting, Geneva</p></div></div></body>`,
			want: "Meetings\nArchived: first meeting, Geneva",
		},
		{
			name: "a web part's own header inside the content is content",
			html: `<body><div id="header">ITU</div><div id="content"><div class="ms-webpart-header"><h2>Deliverables</h2></div>` +
				`<ul><li>Draft report on use cases</li></ul></div></body>`,
			want: "Deliverables\nDraft report on use cases",
		},
		{
			name: "a selector naming a menu watches the menu",
			html: `<body><div id="megamenu"><ul class="mega-menu"><li>About ITU</li><li>News</li></ul><script>x()</script></div>` +
				`<div id="content"><p>Text</p></div></body>`,
			selector: "#megamenu",
			want:     "About ITU\nNews",
		},
		{
			name:     "nested matches of a selector are read once",
			html:     `<body><div class="box"><p>One</p><div class="box"><p>Two</p></div></div></body>`,
			selector: "div.box",
			want:     "One\nTwo",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ExtractPage([]byte(tt.html), tt.selector)
			if err != nil {
				t.Fatal(err)
			}
			if p.Text != tt.want {
				t.Errorf("text = %q, want %q", p.Text, tt.want)
			}
		})
	}
}

// A paragraph added to an ITU page is one item holding that paragraph only;
// what changes on its own (view state, menus, banner, footer, date stamps)
// is not news.
func TestPageSourceASPNET(t *testing.T) {
	tests := []struct {
		page, selector string
		steps          []string // fixtures served in turn after the baseline
		want           string   // the content of the one item the last step gives
	}{
		{page: "aspnet-fg", steps: []string{"aspnet-fg-churn", "aspnet-fg-after"},
			want: "TSAG extended the lifetime of the focus group until 31 December 2027 and asked it to report on the gap analysis at the next TSAG meeting."},
		{page: "aspnet-fg", selector: "#content", steps: []string{"aspnet-fg-churn", "aspnet-fg-after"},
			want: "TSAG extended the lifetime of the focus group until 31 December 2027 and asked it to report on the gap analysis at the next TSAG meeting."},
		{page: "aspnet-cwg", steps: []string{"aspnet-cwg-after"},
			want: "Public policy aspects of Internet exchange points in developing countries. Council 2026 chose this topic for an online consultation opening on 1 March 2027; the questions are now available."},
		{page: "aspnet-council", steps: []string{"aspnet-council-after"},
			want: "C26/87 Contribution on the management of Internet resources and Resolution 102 29.05.2026"},
	}
	for _, tt := range tests {
		t.Run(tt.page+" "+tt.selector, func(t *testing.T) {
			srv := &ituServer{pages: map[string][]byte{"/p": ituFixture(t, tt.page+"-before.html")}}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			src := NewPageSource(tt.page, ts.URL+"/p", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), tt.selector)
			state := &model.SourceState{SourceID: tt.page}
			items, err := pollInto(context.Background(), src, state)
			if err != nil || len(items) != 0 {
				t.Fatalf("baseline: %d items, error %v; want none", len(items), err)
			}
			for i, step := range tt.steps {
				srv.set("/p", ituFixture(t, step+".html"))
				items, err := pollInto(context.Background(), src, state)
				if err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				if state.Warning != "" {
					t.Errorf("%s: warning %q on a page with content", step, state.Warning)
				}
				if i < len(tt.steps)-1 {
					if len(items) != 0 {
						t.Errorf("%s (churn only) gave %+v, want nothing", step, items)
					}
					continue
				}
				if len(items) != 1 || items[0].Content != tt.want {
					t.Fatalf("%s gave %+v, want one item with content %q", step, items, tt.want)
				}
				if items[0].Summary != "1 line added, 0 removed" {
					t.Errorf("summary %q", items[0].Summary)
				}
			}
		})
	}
}

// A baseline recorded by an older ituwatch (which watched only what survived
// dropping every form) is replaced quietly, not reported as a page of news.
func TestPageSourceOldBaselineIsReplacedQuietly(t *testing.T) {
	srv := &ituServer{pages: map[string][]byte{"/p": ituFixture(t, "aspnet-fg-before.html")}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	src := NewPageSource("fg", ts.URL+"/p", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), "")
	state := &model.SourceState{SourceID: "fg", PageText: "About ITU\nCareers\nContact"}
	items, err := pollInto(context.Background(), src, state)
	if err != nil || len(items) != 0 {
		t.Fatalf("first poll over an old baseline: %+v, %v; want no item", items, err)
	}
	srv.set("/p", ituFixture(t, "aspnet-fg-after.html"))
	items, err = pollInto(context.Background(), src, state)
	if err != nil || len(items) != 1 {
		t.Fatalf("next change: %+v, %v; want one item", items, err)
	}
}

// A page source's warning reaches the stored state, is logged once when it
// appears and once when it clears, and is kept while the page is unchanged.
func TestSchedulerCarriesPageWarning(t *testing.T) {
	srv := &ituServer{pages: map[string][]byte{"/p": ituFixture(t, "aspnet-navonly.html")}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	states := &memStates{}
	var logs bytes.Buffer
	sched := NewScheduler(SchedulerOptions{States: states, Jitter: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := sched.Add(NewPageSource("itu-t", ts.URL+"/p", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), ""), "@every 1h"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		if r := pollOne(ctx, sched, "itu-t"); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if w := states.get("itu-t").Warning; !strings.Contains(w, "mostly links") {
		t.Errorf("stored warning = %q, want the links warning", w)
	}
	if n := strings.Count(logs.String(), "mostly links"); n != 1 {
		t.Errorf("the warning was logged %d times over two polls, want once:\n%s", n, logs.String())
	}

	srv.set("/p", ituFixture(t, "aspnet-fg-before.html"))
	if r := pollOne(ctx, sched, "itu-t"); r.Err != nil {
		t.Fatal(r.Err)
	}
	if w := states.get("itu-t").Warning; w != "" {
		t.Errorf("warning after the page got content = %q, want none", w)
	}
	if !strings.Contains(logs.String(), "warning cleared") {
		t.Errorf("the cleared warning was not logged:\n%s", logs.String())
	}
}

// BenchmarkExtractMainText reads an ITU ASP.NET page, and a plain page whose
// meeting table has 5,000 rows (about 400 KB).
func BenchmarkExtractMainText(b *testing.B) {
	read := func(name string) []byte {
		body, err := os.ReadFile(filepath.Join("testdata", "itu", name))
		if err != nil {
			b.Fatal(err)
		}
		return body
	}
	row := "<tr><td>Extra meeting</td><td>4-6 March 2025</td><td>Geneva</td></tr>\n"
	large := strings.Replace(string(read("fg-page-before.html")), "</table>", strings.Repeat(row, 5000)+"</table>", 1)
	for _, bm := range []struct {
		name string
		body []byte
	}{
		{"aspnet-fg", read("aspnet-fg-before.html")},
		{"large", []byte(large)},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ExtractMainText(bm.body, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
