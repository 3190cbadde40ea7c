package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// councilListing is an ITU document listing with one row per document:
// number, title, download links. The number links to the document's page,
// which an addendum shares with its parent, as on ITU's listings.
func councilListing(rows ...[2]string) string {
	var b strings.Builder
	b.WriteString(`<html><body><h1>ITU Council 2026 &ndash; Documents</h1><table>
<tr><th>Document</th><th>Title</th><th>Download</th></tr>
`)
	for _, r := range rows {
		page := "/md/S26-CL-C-00" + strings.TrimPrefix(r[0], "C26/")[:2] + "/en"
		fmt.Fprintf(&b, "<tr><td><a href=%q>%s</a></td><td>%s</td><td>E</td></tr>\n", page, r[0], r[1])
	}
	b.WriteString("</table></body></html>")
	return b.String()
}

// A listing whose rows change between two polls, through "ituwatch once":
// Rev.1 of a document, listed as a row of its own, is an update in the
// document's thread saying what the revision added (compared with the
// version before it, not the original); an addendum joins its parent's thread; the addendum of a document
// that never alerted alerts on its own. (The document text itself comes
// with the listing watcher's file fetching; here the row's title carries
// the sentence Rev.1 adds.)
func TestOnceListingRevisionSaysWhatItAdded(t *testing.T) {
	const (
		title  = "Proposed revision of Resolution 102 on Internet-related public policy issues."
		added  = "ITU shall coordinate the allocation of IPv6 address blocks to Member States."
		added2 = "The Secretary-General shall report on Resolution 102 every year."
	)
	fs := &feedServer{bodies: map[string]string{"/md/council-26": councilListing(
		[2]string{"C26/51", title},
		[2]string{"C26/60", "Calendar of meetings for 2027"},
	)}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: council-docs, type: itu-listing, url: "%s/md/council-26", schedule: "@daily"}
rules: {packs: ["builtin:itu"]}
routes:
  - {topics: ["*"], min_severity: low, to: [console]}
`, filepath.Join(dir, "ituwatch.db"), srv.URL)
	cfgPath := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	first := onceJSON(t, cfgPath)
	if len(first) != 1 || !strings.HasPrefix(first[0]["title"].(string), "C26/51") {
		t.Fatalf("first poll: %v, want one alert on C26/51", first)
	}
	parent := first[0]["id"].(float64)

	// Rev.1 is listed as a row of its own beside the original.
	fs.set("/md/council-26", councilListing(
		[2]string{"C26/51", title},
		[2]string{"C26/51(Rev.1)", title + " " + added},
		[2]string{"C26/51(Add.1)", "Regional views on Resolution 102"},
		[2]string{"C26/60", "Calendar of meetings for 2027"},
		[2]string{"C26/60(Add.1)", "Side event on Resolution 102 and the multistakeholder model"},
	))
	got := map[string]map[string]any{}
	for _, a := range onceJSON(t, cfgPath) {
		got[strings.Fields(a["title"].(string))[0]] = a
	}
	if len(got) != 3 {
		t.Fatalf("second poll alerted %v, want Rev.1, the addendum and the other addendum", got)
	}
	rev := got["C26/51"]
	if rev == nil || rev["kind"] != "update" || rev["parent_id"] != parent || !strings.Contains(rev["change"].(string), "revised (Rev.1)") {
		t.Fatalf("Rev.1: %v, want an update of #%v saying revised (Rev.1)", rev, parent)
	}
	diff, _ := rev["diff"].(map[string]any)
	lines, _ := diff["lines"].([]any)
	if diff["version"] != "Rev.1" || len(lines) != 1 {
		t.Fatalf("Rev.1 diff = %v, want what Rev.1 added", rev["diff"])
	}
	if line := lines[0].(map[string]any); line["kind"] != "added" || line["text"] != added {
		t.Errorf("Rev.1 diff line = %v, want %q added", line, added)
	}
	if add := got["C26/51(Add.1)"]; add == nil || add["kind"] != "update" || add["parent_id"] != parent || add["change"] != "Addendum 1 to C26/51" {
		t.Errorf("addendum: %v, want an update in #%v's thread saying Addendum 1 to C26/51", add, parent)
	}
	if own := got["C26/60(Add.1)"]; own == nil || own["kind"] != "new" || own["parent_id"] != nil && own["parent_id"] != 0.0 {
		t.Errorf("addendum of a document that never alerted: %v, want its own new alert", own)
	}

	// Rev.2, as the console shows it.
	fs.set("/md/council-26", councilListing(
		[2]string{"C26/51(Rev.2)", title + " " + added + " " + added2},
		[2]string{"C26/51", title},
		[2]string{"C26/51(Rev.1)", title + " " + added},
		[2]string{"C26/51(Add.1)", "Regional views on Resolution 102"},
		[2]string{"C26/60", "Calendar of meetings for 2027"},
		[2]string{"C26/60(Add.1)", "Side event on Resolution 102 and the multistakeholder model"},
	))
	out, errOut, code := runCLIForTest(t, nil, "once", "-c", cfgPath)
	if code != 0 {
		t.Fatalf("once exited %d: %s", code, errOut)
	}
	for _, want := range []string{"revised (Rev.2)", "Rev.2 adds 1 sentence\n", "+ " + added2} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
}
