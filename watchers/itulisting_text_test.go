package watchers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/itudoc/doctext/doctexttest"
	"github.com/ituwatch/ituwatch/model"
)

// docSite is ITU's document management on loopback: a listing, one page
// per document with its files by language and format, the files, and a
// TIES login page that restricted files redirect to.
type docSite struct {
	mu    sync.Mutex
	files map[string][]byte // path → body; pages and files alike
	types map[string]string
	login map[string]bool // paths that redirect to the login page
	codes map[string]int  // paths answered with this status
	hits  []string
}

func newDocSite() *docSite {
	return &docSite{files: map[string][]byte{}, types: map[string]string{}, login: map[string]bool{}, codes: map[string]int{}}
}

func (s *docSite) put(path, contentType string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path], s.types[path] = body, contentType
}

func (s *docSite) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits)
}

func (s *docSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits = append(s.hits, r.URL.Path)
	body, ok := s.files[r.URL.Path]
	ct, login, code := s.types[r.URL.Path], s.login[r.URL.Path], s.codes[r.URL.Path]
	s.mu.Unlock()
	switch {
	case code != 0:
		http.Error(w, http.StatusText(code), code)
	case login:
		http.Redirect(w, r, "/ties/login.aspx?ReturnUrl="+r.URL.Path, http.StatusFound)
	case r.URL.Path == "/ties/login.aspx":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><body><h1>TIES</h1><form method="post"><input name="user"><input type="password" name="pw"></form></body></html>`)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(body)
	}
}

// listingRow is one row of a Council listing as ITU lays it out: date,
// number linked to the document page, title, source, and the language
// versions.
func listingRow(number, id, title, source, extra string) string {
	return fmt.Sprintf(`<tr><td>2026-05-0%c</td><td><a href="/md/%s/en"><strong>%s</strong></a></td><td>%s</td><td><a href="/md/meetingdoc.asp?source=%s">%s</a></td><td>%s<a href="/md/%s/en">E</a> <a href="/md/%s/fr">F</a></td></tr>`,
		number[len(number)-1], id, number, title, source, source, extra, id, id)
}

func councilListing(rows ...string) []byte {
	return []byte(`<html><head><title>Council 2026 - Contributions</title></head><body>
<h1>Council 2026 &ndash; Contributions</h1>
<table><tr><th>Date</th><th>Document</th><th>Title</th><th>Source</th><th>Languages</th></tr>` + strings.Join(rows, "\n") + `</table></body></html>`)
}

// documentPage is a document's own page: its metadata and a table of its
// files, one row per language, one link per format.
func documentPage(id, title string, files ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<html><head><title>%s</title></head><body><a href="/help/downloads.htm">Help</a>
<h2>%s</h2><table><tr><td>Abstract :</td><td>Proposals for the work of the Council.</td></tr></table>
<table class="files"><tr><th>Language</th><th>Download</th></tr>`, id, title)
	for _, f := range files {
		fmt.Fprintf(&b, `<tr><td>%s</td><td><a href="/dms_pub/itu-s/md/26/cl/c/%s">%s</a></td></tr>`, f[strings.LastIndex(f, "-")+1:strings.LastIndex(f, ".")], strings.ReplaceAll(f, "!!", "%21%21"), f)
	}
	b.WriteString(`</table></body></html>`)
	return []byte(b.String())
}

// timeOfTest stands for "polled before": a source past its first poll.
var timeOfTest = time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)

const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// fakeKnown is the store's memory of the listing's items.
type fakeKnown map[string]*model.PriorItem

func (k fakeKnown) PriorItems(_ context.Context, _ string, ids []string) (map[string]*model.PriorItem, error) {
	out := map[string]*model.PriorItem{}
	for _, id := range ids {
		if p, ok := k[id]; ok {
			out[id] = p
		}
	}
	return out, nil
}

func (k fakeKnown) remember(items []model.Item) {
	for _, it := range items {
		k[it.ID] = &model.PriorItem{Item: it}
	}
}

var addendumBody = doctexttest.Para("Addendum 14 to Document 1-E") +
	`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Source:</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Regional Commonwealth in the field of Communications</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
	`<w:p><w:r><w:t xml:space="preserve">MOD Resolution 102: the Secretary-General shall </w:t></w:r>` +
	`<w:ins w:id="1" w:author="RCC"><w:r><w:t xml:space="preserve">lead the work on Internet-related public policy issues </w:t></w:r></w:ins>` +
	`<w:del w:id="2" w:author="RCC"><w:r><w:delText xml:space="preserve">take note of the work of others </w:delText></w:r></w:del>` +
	`<w:r><w:t>within the mandate of ITU.</w:t></w:r></w:p>`

func newDocSiteFixture(t *testing.T) (*docSite, *httptest.Server) {
	t.Helper()
	site := newDocSite()
	site.put("/md/cl", "text/html; charset=utf-8", councilListing(
		listingRow("C26/101", "S26-CL-C-0101", "Addendum 14 to Document 1", "RCC", ""),
		listingRow("C26/102", "S26-CL-C-0102", "Report of the CWG-Internet", "Secretary-General", ""),
		listingRow("C26/103", "S26-CL-C-0103", "Contribution from a Member State", "Egypt", ""),
		listingRow("C26/104", "S26-CL-C-0104", "Draft report of the group", "Chair", `<img src="/images/lock.gif" alt="TIES"> `),
	))
	site.put("/md/S26-CL-C-0101/en", "text/html", documentPage("S26-CL-C-0101", "Addendum 14 to Document 1",
		"S26-CL-C-0101!!PDF-E.pdf", "S26-CL-C-0101!!MSW-E.docx", "S26-CL-C-0101!!MSW-F.docx"))
	site.put("/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0101!!MSW-E.docx", docxType, doctexttest.DOCX(addendumBody))
	site.put("/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0101!!MSW-F.docx", docxType, doctexttest.DOCX(doctexttest.Para("Addendum 14 au Document 1-F: MOD Résolution 102")))
	site.put("/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0101!!PDF-E.pdf", "application/pdf", doctexttest.PDF([][]string{{"the PDF of the addendum"}}))
	site.put("/md/S26-CL-C-0102/en", "text/html", documentPage("S26-CL-C-0102", "Report", "S26-CL-C-0102!!PDF-E.pdf", "S26-CL-C-0102!!PDF-R.pdf"))
	site.put("/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0102!!PDF-E.pdf", "application/pdf", doctexttest.PDF([][]string{
		{"Report of the Council Working Group on international Internet-related public policy issues"},
		{"The group considered the open consultation on IPv6."},
	}))
	site.put("/md/S26-CL-C-0103/en", "text/html", documentPage("S26-CL-C-0103", "Contribution", "S26-CL-C-0103!!MSW-E.docx"))
	site.put("/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0103!!MSW-E.docx", docxType, doctexttest.DOCX(doctexttest.Para("members only")))
	site.login["/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0103!!MSW-E.docx"] = true
	ts := httptest.NewServer(site)
	t.Cleanup(ts.Close)
	return site, ts
}

func byID(items []model.Item) map[string]model.Item {
	out := map[string]model.Item{}
	for _, it := range items {
		out[it.ID] = it
	}
	return out
}

func TestITUListingDocumentText(t *testing.T) {
	site, ts := newDocSiteFixture(t)
	known := fakeKnown{}
	f := NewFetcher(FetcherOptions{AllowPrivateNetworks: true})
	src := NewITUListingSourceWithText("council", ts.URL+"/md/cl", f, 1, DocumentText{Known: known})
	ctx := context.Background()

	items, st, err := src.Poll(ctx, model.SourceState{SourceID: "council"})
	if err != nil {
		t.Fatal(err)
	}
	got := byID(items)
	if len(got) != 4 {
		t.Fatalf("%d items, want 4: %v", len(items), items)
	}

	add := got["C26/101"]
	wantBody := "Addendum 14 to Document 1-E\nSource: | Regional Commonwealth in the field of Communications\n" +
		"MOD Resolution 102: the Secretary-General shall lead the work on Internet-related public policy issues within the mandate of ITU."
	if add.Content != wantBody {
		t.Errorf("C26/101 content:\n%q\nwant\n%q", add.Content, wantBody)
	}
	if !strings.HasSuffix(add.Document.TextFrom, "S26-CL-C-0101%21%21MSW-E.docx") {
		t.Errorf("C26/101 text from %q, want the English Word file", add.Document.TextFrom)
	}
	if tr := add.Document.Tracked; tr == nil || !slices.Equal(tr.Inserted, []string{"lead the work on Internet-related public policy issues"}) ||
		!slices.Equal(tr.Deleted, []string{"take note of the work of others"}) {
		t.Errorf("C26/101 tracked changes %+v", tr)
	}
	var langs []string
	for _, f := range add.Document.Files {
		langs = append(langs, f.Language+" "+f.Format)
	}
	if !slices.Equal(langs, []string{"en pdf", "en docx", "fr docx"}) {
		t.Errorf("C26/101 files %v", langs)
	}

	rep := got["C26/102"]
	if !strings.Contains(rep.Content, "Internet-related public policy issues") || !strings.Contains(rep.Content, "IPv6") {
		t.Errorf("C26/102 content from its PDF: %q", rep.Content)
	}
	if rep.Document.Restricted != "" || add.Document.Restricted != "" {
		t.Errorf("public documents marked restricted")
	}

	for _, id := range []string{"C26/103", "C26/104"} {
		it := got[id]
		if it.Document.Restricted != "TIES login" || it.Content != "" {
			t.Errorf("%s: restricted %q content %q; want TIES login and no text", id, it.Document.Restricted, it.Content)
		}
	}
	if st.Warning != "" || st.BodyHash == "" {
		t.Errorf("state: warning %q, body hash %q; a restricted document is no problem of the source", st.Warning, st.BodyHash)
	}
	for _, p := range site.requests() {
		if strings.Contains(p, "S26-CL-C-0104") {
			t.Errorf("the listing marks C26/104 as restricted, yet %s was requested", p)
		}
		if strings.Contains(p, "PDF-E.pdf") && strings.Contains(p, "0101") || strings.Contains(p, "MSW-F") {
			t.Errorf("requested %s although the English Word file was read", p)
		}
	}

	// A later poll: the listing gains a document. Only it is read; the
	// others keep their text without a request, so their fingerprints
	// stay the same.
	known.remember(items)
	before := len(site.requests())
	site.put("/md/cl", "text/html; charset=utf-8", councilListing(
		listingRow("C26/105", "S26-CL-C-0105", "Another contribution", "Brazil", ""),
		listingRow("C26/101", "S26-CL-C-0101", "Addendum 14 to Document 1", "RCC", ""),
		listingRow("C26/102", "S26-CL-C-0102", "Report of the CWG-Internet", "Secretary-General", ""),
		listingRow("C26/103", "S26-CL-C-0103", "Contribution from a Member State", "Egypt", ""),
		listingRow("C26/104", "S26-CL-C-0104", "Draft report of the group", "Chair", `<img src="/images/lock.gif" alt="TIES"> `),
	))
	site.put("/md/S26-CL-C-0105/en", "text/html", documentPage("S26-CL-C-0105", "Another", "S26-CL-C-0105!!HTM-E.htm"))
	site.put("/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0105!!HTM-E.htm", "text/html", []byte(`<html><body><p>Brazil proposes to <b>keep</b> Resolution 102.</p></body></html>`))
	st.LastSuccess = timeOfTest
	items2, _, err := src.Poll(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	got2 := byID(items2)
	want := []string{"/md/cl", "/md/S26-CL-C-0105/en", "/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0105!!HTM-E.htm"}
	if reqs := site.requests()[before:]; !slices.Equal(reqs, want) {
		t.Errorf("second poll requested %v, want %v", reqs, want)
	}
	if c := got2["C26/105"].Content; c != "Brazil proposes to keep Resolution 102." {
		t.Errorf("C26/105 text from its .htm: %q", c)
	}
	for id, it := range got {
		again := got2[id]
		if again.Fingerprint() != it.Fingerprint() || got2[id].Document.Restricted != it.Document.Restricted {
			t.Errorf("%s changed between polls: %q → %q", id, it.Content, got2[id].Content)
		}
	}
}

func TestITUListingDocumentLanguage(t *testing.T) {
	_, ts := newDocSiteFixture(t)
	src := NewITUListingSourceWithText("council", ts.URL+"/md/cl", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), 1,
		DocumentText{Language: "fr"})
	items, _, err := src.Poll(context.Background(), model.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	got := byID(items)
	if c := got["C26/101"].Content; c != "Addendum 14 au Document 1-F: MOD Résolution 102" {
		t.Errorf("French wanted, got %q", c)
	}
	// No French version: English is read.
	if c := got["C26/102"].Content; !strings.Contains(c, "Report of the Council Working Group") {
		t.Errorf("C26/102 without a French version: %q", c)
	}
}

// TestITUListingDocumentBudget: at most MaxPerPoll documents are read per
// poll; the rest wait, and the listing is read again next time although it
// did not change.
func TestITUListingDocumentBudget(t *testing.T) {
	site, ts := newDocSiteFixture(t)
	known := fakeKnown{}
	src := NewITUListingSourceWithText("council", ts.URL+"/md/cl", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), 1,
		DocumentText{MaxPerPoll: 1, Known: known})
	ctx := context.Background()
	prev := model.SourceState{SourceID: "council", LastSuccess: timeOfTest}
	var seen []string
	for poll := 1; poll <= 4 && len(seen) < 4; poll++ {
		items, st, err := src.Poll(ctx, prev)
		if err != nil {
			t.Fatal(err)
		}
		files := 0
		for _, p := range site.requests() {
			if strings.HasPrefix(p, "/dms_pub/") {
				files++
			}
		}
		if files > poll {
			t.Errorf("after poll %d, %d files were requested; at most one document a poll", poll, files)
		}
		for _, it := range items {
			if known[it.ID] == nil {
				seen = append(seen, it.ID)
			}
		}
		known.remember(items)
		if poll == 1 {
			// C26/101 read; C26/104 is marked restricted on the listing
			// and needs no request; C26/102 and C26/103 wait.
			if !slices.Equal(seen, []string{"C26/101", "C26/104"}) || st.BodyHash != "" {
				t.Fatalf("poll 1 gave %v with body hash %q; want C26/101 and C26/104, and no validators kept", seen, st.BodyHash)
			}
		}
		prev = st
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"C26/101", "C26/102", "C26/103", "C26/104"}) {
		t.Errorf("after the polls: %v", seen)
	}
	if prev.BodyHash == "" {
		t.Errorf("once every document is read the listing's validators are kept")
	}
}

func TestITUListingDocumentTooBig(t *testing.T) {
	site, ts := newDocSiteFixture(t)
	big := strings.Repeat(doctexttest.Para("Resolution 102 and Internet-related public policy issues, over and over."), 4000)
	site.put("/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0101!!MSW-E.docx", docxType, []byte(strings.Repeat("x", 300<<10)+big))
	poll := func() (model.Item, model.SourceState) {
		t.Helper()
		src := NewITUListingSourceWithText("council", ts.URL+"/md/cl", NewFetcher(FetcherOptions{AllowPrivateNetworks: true, MaxBodyBytes: 256 << 10}), 1,
			DocumentText{})
		items, st, err := src.Poll(context.Background(), model.SourceState{})
		if err != nil {
			t.Fatalf("a file too big must not fail the poll: %v", err)
		}
		it := byID(items)["C26/101"]
		if it.ID == "" {
			t.Fatalf("C26/101 missing: a document whose file is too big is alerted on its row")
		}
		return it, st
	}
	// The Word file is too big: the PDF is read instead.
	if it, _ := poll(); it.Content != "the PDF of the addendum" {
		t.Errorf("C26/101: content %q, want the PDF's", it.Content)
	}
	// Every file is too big: the row alone, and the warning says why.
	site.put("/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0101!!PDF-E.pdf", "application/pdf", []byte(strings.Repeat("%", 300<<10)))
	it, st := poll()
	if it.Content != "" || it.Document.TextFrom != "" {
		t.Errorf("C26/101: content %q from %q, want none", it.Content, it.Document.TextFrom)
	}
	if !strings.Contains(st.Warning, "C26/101") || !strings.Contains(st.Warning, "max_body_bytes") {
		t.Errorf("warning %q should name the document and the limit", st.Warning)
	}
}

// TestITUListingDocumentRetry: a server error on a file keeps the document
// back (the source stays healthy); after maxTextAttempts polls it is
// alerted on its row.
func TestITUListingDocumentRetry(t *testing.T) {
	site, ts := newDocSiteFixture(t)
	site.mu.Lock()
	delete(site.files, "/md/S26-CL-C-0102/en")
	site.mu.Unlock()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer broken.Close()
	site.put("/md/S26-CL-C-0102/en", "text/html", []byte(`<html><body><a href="`+broken.URL+`/dms_pub/x/S26-CL-C-0102!!PDF-E.pdf">E</a></body></html>`))
	src := NewITUListingSourceWithText("council", ts.URL+"/md/cl", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), 1, DocumentText{})
	prev := model.SourceState{LastSuccess: timeOfTest}
	for poll := 1; poll <= maxTextAttempts; poll++ {
		items, st, err := src.Poll(context.Background(), prev)
		if err != nil {
			t.Fatalf("poll %d: %v", poll, err)
		}
		_, has := byID(items)["C26/102"]
		if has != (poll == maxTextAttempts) {
			t.Errorf("poll %d: C26/102 present = %v", poll, has)
		}
		if poll == maxTextAttempts && !strings.Contains(st.Warning, "C26/102") {
			t.Errorf("warning %q", st.Warning)
		}
		prev = st
	}
}

// TestITUListingDocumentForbidden: a file answered 401 or 403 is behind the
// login too; the document alerts on its row, the source stays healthy.
func TestITUListingDocumentForbidden(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		site, ts := newDocSiteFixture(t)
		site.mu.Lock()
		site.codes["/dms_pub/itu-s/md/26/cl/c/S26-CL-C-0102!!PDF-E.pdf"] = code
		site.mu.Unlock()
		src := NewITUListingSourceWithText("council", ts.URL+"/md/cl", NewFetcher(FetcherOptions{AllowPrivateNetworks: true}), 1, DocumentText{})
		items, st, err := src.Poll(context.Background(), model.SourceState{LastSuccess: timeOfTest})
		if err != nil {
			t.Fatalf("%d: %v", code, err)
		}
		it := byID(items)["C26/102"]
		if it.Document == nil || it.Document.Restricted != "TIES login" || it.Content != "" || st.Warning != "" {
			t.Errorf("%d: item %+v, warning %q", code, it.Document, st.Warning)
		}
	}
}
