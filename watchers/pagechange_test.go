package watchers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func TestExtractMainText(t *testing.T) {
	title, text, err := ExtractMainText(ituFixture(t, "fg-page-before.html"), "")
	if err != nil {
		t.Fatal(err)
	}
	if title != "Focus Group on Network Futures (FG-NF)" {
		t.Errorf("title = %q", title)
	}
	want := strings.Join([]string{
		"Focus Group on Network Futures",
		"The focus group studies requirements that future network architectures may place on addressing, routing and transport protocols.",
		"Meetings",
		"Meeting Dates Place",
		"Third meeting 4-6 March 2025 Geneva",
		"Second meeting 2-4 December 2024 Virtual",
		"Deliverables",
		"Draft Technical Report: use cases for network futures",
		"Draft Technical Specification: gap analysis",
	}, "\n")
	if text != want {
		t.Errorf("text =\n%s\nwant\n%s", text, want)
	}
}

func TestExtractMainTextChoices(t *testing.T) {
	tests := []struct {
		name, html, selector, want string
	}{
		{
			name:     "selector picks the part",
			html:     `<div id="a">Alpha</div><div class="news"><p>One</p><p>Two<br>Three</p></div>`,
			selector: "div.news",
			want:     "One\nTwo\nThree",
		},
		{
			name: "largest container wins",
			html: `<article>Short</article><div id="content"><p>Longer text here</p><p>and more</p></div>`,
			want: "Longer text here\nand more",
		},
		{
			name: "no container: body without menus, scripts and forms",
			html: `<body><nav>Home | About</nav><p>Call for input</p><script>var x=1</script><form><label>Email</label></form></body>`,
			want: "Call for input",
		},
		{
			name: "an article's own header is content",
			html: `<header>Site banner</header><main><article><header><h2>Consultation on naming</h2></header><p>Open until May.</p></article></main><footer>Contact</footer>`,
			want: "Consultation on naming\nOpen until May.",
		},
		{
			name: "dated boilerplate lines are dropped",
			html: `<main><p>Agenda</p><p>Last updated: 3 March 2025</p><p>Updated the agenda of the second meeting</p><p>© ITU 2025</p></main>`,
			want: "Agenda\nUpdated the agenda of the second meeting",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, text, err := ExtractMainText([]byte(tt.html), tt.selector)
			if err != nil {
				t.Fatal(err)
			}
			if text != tt.want {
				t.Errorf("text = %q, want %q", text, tt.want)
			}
		})
	}
}

func TestExtractMainTextErrors(t *testing.T) {
	tests := []struct {
		name, html, selector, wantMsg string
	}{
		{"bad selector", `<p>x</p>`, "div[", "is not valid CSS"},
		{"selector matches nothing", `<p>x</p>`, "#meetings", "matches nothing"},
		{"empty page", `<html><body><nav>Menu</nav></body></html>`, "", "no text found on the page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ExtractMainText([]byte(tt.html), tt.selector)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error = %v, want one saying %q", err, tt.wantMsg)
			}
		})
	}
}

func TestAddedLines(t *testing.T) {
	tests := []struct {
		name, old, new string
		added          []string
		removed        int
	}{
		{"same", "a\nb", "a\nb", nil, 0},
		{"one added in the middle", "a\nc", "a\nb\nc", []string{"b"}, 0},
		{"replaced", "a\nb\nc", "a\nB\nc", []string{"B"}, 1},
		{"only removed", "a\nb\nc", "a\nc", nil, 1},
		{"moved is not added", "a\nb\nc", "c\na\nb", nil, 0},
		{"a repeated line counts", "x\ny", "x\ny\nx", []string{"x"}, 0},
		{"blank lines and spaces ignored", "a\n\n  b ", "a\nb\n\n", nil, 0},
		{"from nothing", "", "a\nb", []string{"a", "b"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			added, removed := AddedLines(tt.old, tt.new)
			if !reflect.DeepEqual(added, tt.added) || removed != tt.removed {
				t.Errorf("AddedLines = %q, %d; want %q, %d", added, removed, tt.added, tt.removed)
			}
		})
	}
}

func TestPageSourcePoll(t *testing.T) {
	srv := &ituServer{pages: map[string][]byte{"/fg": ituFixture(t, "fg-page-before.html")}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	now := time.Date(2025, 4, 20, 9, 30, 0, 0, time.UTC)
	src := NewPageSource("fg-nf", ts.URL+"/fg", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), "")
	src.(*pageSource).now = func() time.Time { return now }
	ctx := context.Background()
	state := &model.SourceState{SourceID: "fg-nf"}

	poll := func(step string) []model.Item {
		t.Helper()
		items, err := pollInto(ctx, src, state)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return items
	}

	if items := poll("baseline"); len(items) != 0 {
		t.Fatalf("first poll emitted %d items, want none (it records the baseline)", len(items))
	}
	if state.PageText == "" {
		t.Fatal("first poll kept no baseline")
	}
	if items := poll("unchanged"); items != nil {
		t.Errorf("unchanged page (304) = %v, want nil", items)
	}

	srv.set("/fg", ituFixture(t, "fg-page-footer-only.html"))
	if items := poll("footer date"); len(items) != 0 {
		t.Errorf("a footer date change emitted %+v, want nothing", items)
	}

	srv.set("/fg", ituFixture(t, "fg-page-after.html"))
	items := poll("new meeting")
	if len(items) != 1 {
		t.Fatalf("new meeting: %d items, want 1", len(items))
	}
	it := items[0]
	wantContent := "Fourth meeting 16-18 June 2025 Beijing, China\nCall for contributions to the fourth meeting: deadline 2 June 2025."
	sum := sha256.Sum256([]byte(wantContent))
	want := model.Item{
		SourceID:  "fg-nf",
		ID:        hex.EncodeToString(sum[:16]),
		Title:     "Page updated: Focus Group on Network Futures (FG-NF)",
		Link:      ts.URL + "/fg",
		Published: now,
		Summary:   "2 lines added, 0 removed",
		Content:   wantContent,
	}
	// What changed, sentence by sentence, for the alert to show.
	if d := it.Diff; d == nil || d.Added != 2 || d.Removed != 0 || len(d.Lines) != 2 || d.Lines[0].Kind != model.DiffAdded {
		t.Errorf("diff = %+v, want the 2 added lines", it.Diff)
	}
	it.Diff = nil
	if !reflect.DeepEqual(it, want) {
		t.Errorf("item =\n%+v\nwant\n%+v", it, want)
	}

	srv.set("/fg", ituFixture(t, "fg-page-removed.html"))
	if items := poll("removal"); len(items) != 0 {
		t.Errorf("a removal emitted %+v, want nothing", items)
	}
	if strings.Contains(state.PageText, "Second meeting") || strings.Contains(state.PageText, "Fourth meeting") || !strings.Contains(state.PageText, "Third meeting") {
		t.Errorf("baseline not moved by the removal:\n%s", state.PageText)
	}
}

func TestPageSourceBadSelectorKeepsValidators(t *testing.T) {
	srv := &ituServer{pages: map[string][]byte{"/fg": ituFixture(t, "fg-page-before.html")}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	src := NewPageSource("fg", ts.URL+"/fg", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), "#meetings")
	state := &model.SourceState{}
	_, err := pollInto(context.Background(), src, state)
	if !errors.Is(err, ErrNoPageText) || !strings.Contains(err.Error(), `"#meetings"`) {
		t.Errorf("error = %v, want ErrNoPageText naming the selector", err)
	}
	if state.ETag != "" || state.BodyHash != "" {
		t.Errorf("validators kept after a failed poll: etag %q hash %q", state.ETag, state.BodyHash)
	}
}

func FuzzExtractMainText(f *testing.F) {
	for _, name := range []string{"fg-page-before.html", "fg-page-after.html", "aspnet-fg-before.html"} {
		b, err := os.ReadFile(filepath.Join("testdata", "itu", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, body string) {
		_, text, err := ExtractMainText([]byte(body), "")
		if err != nil {
			return
		}
		added, removed := AddedLines(text, text)
		if len(added) != 0 || removed != 0 {
			t.Errorf("AddedLines(x, x) = %q, %d", added, removed)
		}
	})
}
