package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ituPage is one of the watchers' ASP.NET fixtures, built like ITU's
// SharePoint pages (the whole body inside <form id="aspnetForm">).
func ituPage(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "watchers", "testdata", "itu", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runChat runs `ituwatch chat` with the given input and returns what it printed.
// ITU's pages through the real command: a paragraph added to the content of
// an ASP.NET page is an alert; menu, banner, footer, view state and date
// churn is not; a page that is only links and a listing whose rows cannot be
// read are flagged by sources and status.
func TestOnceWatchesITUASPNETPages(t *testing.T) {
	fs := &feedServer{bodies: map[string]string{
		"/council/2026/Pages/default.aspx":                    ituPage(t, "aspnet-council-before.html"),
		"/council/cwg-internet/Pages/open-consultations.aspx": ituPage(t, "aspnet-cwg-before.html"),
		"/ITU-T/Pages/default.aspx":                           ituPage(t, "aspnet-navonly.html"),
		"/md/cwg-internet":                                    ituPage(t, "listing-unreadable.html"),
	}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: council-2026, type: page, url: "%[2]s/council/2026/Pages/default.aspx", schedule: "@daily"}
  - {id: cwg-consultations, type: page, url: "%[2]s/council/cwg-internet/Pages/open-consultations.aspx", selector: "#content", schedule: "@daily"}
  - {id: itu-t-home, type: page, url: "%[2]s/ITU-T/Pages/default.aspx", schedule: "@daily"}
  - {id: cwg-docs, type: itu-listing, url: "%[2]s/md/cwg-internet", schedule: "@daily"}
rules: {packs: ["builtin:itu"]}
routes:
  - {topics: ["*"], min_severity: low, to: [console]}
`, filepath.Join(dir, "ituwatch.db"), srv.URL)
	cfgPath := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	if alerts := runOnce(t, cfgPath); len(alerts) != 0 {
		t.Fatalf("the first poll records the pages; it alerted %+v", alerts)
	}

	// The pages as served the next day: new view state, digest, date stamp,
	// banner, a menu entry and a footer link; the same content.
	fs.set("/council/2026/Pages/default.aspx", strings.NewReplacer(
		"Monday, 7 December 2026", "Tuesday, 8 December 2026",
		"ITU at 160: a year of events", "Register now for the AI for Good summit",
		"/wEPDwUBMA9kFgJmD2QWAgIBD2QWBAIBD2QWAmYPZBYCZg9kFgJmDxYCHgdWaXNpYmxlaGQCAw9kFgICAQ9kFgRmD2QWAgIDD2QWAmYPFgIeBFRleHQFG0ZvY3VzIEdyb3VwIG9uIE5ldHdvcmsgRnV0dXJlc2Rk", "/wEPDwUBMA9kFgJmD2QWAgIBD2QWBAIBD2QWAmYPZBYCZg9kFgJmDxYCHgdWaXNpYmxlaGQCAw9kFgICAQ9kFgRmD2QWAgIDD2QWAmYPFgIeBFRleHQFG1BhZ2UgcmVsb2FkZWQ=",
		"Visitors today: 4 211", "Visitors today: 5 037",
		"Page last updated: 24 April 2026", "Page last updated: 8 December 2026",
		`<li><a href="/en/ITU-D/Statistics/Pages/default.aspx">Statistics</a></li>`, `<li><a href="/en/ITU-D/Statistics/Pages/default.aspx">Statistics</a></li><li><a href="/en/ITU-D/Pages/giga.aspx">Giga</a></li>`,
	).Replace(ituPage(t, "aspnet-council-before.html")))
	if body := fs.bodies["/council/2026/Pages/default.aspx"]; body == ituPage(t, "aspnet-council-before.html") {
		t.Fatal("the churn did not change the page")
	}
	if alerts := runOnce(t, cfgPath); len(alerts) != 0 {
		t.Errorf("menu, banner, footer, view state and date churn alerted: %+v", alerts)
	}

	// A new Council document and a new consultation in the content.
	fs.set("/council/2026/Pages/default.aspx", ituPage(t, "aspnet-council-after.html"))
	fs.set("/council/cwg-internet/Pages/open-consultations.aspx", ituPage(t, "aspnet-cwg-after.html"))
	alerts := runOnce(t, cfgPath)
	got := map[string]alertLine{}
	for _, a := range alerts {
		got[a.Source+" "+a.Title] = a
	}
	if len(alerts) != 2 {
		t.Errorf("after the content changed: %d alerts, want 2 (Council document, CWG consultation): %+v", len(alerts), alerts)
	}
	for _, key := range []string{"council-2026 Page updated: Council 2026", "cwg-consultations Page updated: CWG-Internet open consultations"} {
		a, ok := got[key]
		if !ok {
			t.Errorf("no alert %q among %v", key, alerts)
			continue
		}
		if len(a.Topics) == 0 || !strings.HasPrefix(a.URL, srv.URL) {
			t.Errorf("alert %q: topics %v url %q", key, a.topicIDs(), a.URL)
		}
	}

	out := runChat(t, nil, "sources\nstatus\n", "-c", cfgPath)
	for _, want := range []string{
		"4 sources: 4 healthy, 0 failing, 0 retired, 0 never polled; 2 with a warning",
		"warning: the watched part of the page is mostly links",
		"warning: the listing's document table has 8 rows but none could be read as a document",
		"warnings (sources says why): itu-t-home, cwg-docs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
	// Each source is a line with its name, then a line of notes.
	lines := strings.Split(out, "\n")
	for i, line := range lines[:len(lines)-1] {
		flagged := strings.Contains(lines[i+1], "warning:")
		switch {
		case strings.Contains(line, "(council-2026)"), strings.Contains(line, "(cwg-consultations)"):
			if flagged {
				t.Errorf("a content page is flagged: %s", lines[i+1])
			}
		case strings.Contains(line, "(itu-t-home)"), strings.Contains(line, "(cwg-docs)"):
			if !flagged {
				t.Errorf("%s is not flagged: %s", line, lines[i+1])
			}
		}
	}
}
