package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/itudoc/doctext/doctexttest"
)

// TestOnceAlertsOnDocumentBody: an ITU listing row whose title says nothing
// ("Addendum 14 to Document 1") alerts because its Word file rewrites
// Resolution 102, and the alert quotes that sentence of the body; a row
// whose file is behind the TIES login alerts on its title, says it is
// restricted, and leaves the source healthy.
func TestOnceAlertsOnDocumentBody(t *testing.T) {
	today := time.Now().UTC().Format("2006-01-02")
	files := map[string][]byte{
		"/md/S26-PP-C-0001-A14/en": []byte(`<html><body><h2>Addendum 14 to Document 1</h2>
<table><tr><td>English</td><td><a href="/dms_pub/itu-s/md/26/pp/c/S26-PP-C-0001!A14!MSW-E.docx">Word</a> <a href="/dms_pub/itu-s/md/26/pp/c/S26-PP-C-0001!A14!PDF-E.pdf">PDF</a></td></tr>
<tr><td>Français</td><td><a href="/dms_pub/itu-s/md/26/pp/c/S26-PP-C-0001!A14!MSW-F.docx">Word</a></td></tr></table></body></html>`),
		"/dms_pub/itu-s/md/26/pp/c/S26-PP-C-0001!A14!MSW-E.docx": doctexttest.DOCX(
			doctexttest.Para("Addendum 14 to Document 1-E") +
				doctexttest.Para("Common proposals for the work of the Conference") +
				doctexttest.Para("The Member States of the RCC propose to revise Resolution 102 so that ITU leads the work on Internet-related public policy issues.") +
				doctexttest.Para("Reasons: consistency with the decisions of the Council.")),
		"/md/S26-PP-C-0002/en":                                []byte(`<html><body><a href="/dms_pub/itu-s/md/26/pp/c/S26-PP-C-0002!!MSW-E.docx">Word</a></body></html>`),
		"/md/S26-PP-C-0003/en":                                []byte(`<html><body><a href="/dms_pub/itu-s/md/26/pp/c/S26-PP-C-0003!!MSW-E.docx">Word</a></body></html>`),
		"/dms_pub/itu-s/md/26/pp/c/S26-PP-C-0003!!MSW-E.docx": doctexttest.DOCX(doctexttest.Para("Schedule of the plenary meetings.")),
	}
	files["/md/pp26"] = []byte(fmt.Sprintf(`<html><body><h1>PP-26 Contributions</h1><table>
<tr><th>Date</th><th>Document</th><th>Title</th><th>Source</th></tr>
<tr><td>%[1]s</td><td><a href="/md/S26-PP-C-0001-A14/en"><strong>1(Add.14)</strong></a></td><td>Addendum 14 to Document 1</td><td><a href="#">RCC</a></td></tr>
<tr><td>%[1]s</td><td><a href="/md/S26-PP-C-0002/en"><strong>2</strong></a></td><td>Report of the CWG-Internet</td><td><a href="#">Chair</a></td></tr>
<tr><td>%[1]s</td><td><a href="/md/S26-PP-C-0003/en"><strong>3</strong></a></td><td>Schedule</td><td><a href="#">Secretariat</a></td></tr>
</table></body></html>`, today))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "S26-PP-C-0002!!") {
			http.Redirect(w, r, "/ties/login.aspx", http.StatusFound)
			return
		}
		if r.URL.Path == "/ties/login.aspx" {
			fmt.Fprint(w, `<html><form><input type="password" name="p"></form></html>`)
			return
		}
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ituwatch.yaml")
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: pp26-docs, type: itu-listing, url: "%s/md/pp26", schedule: "@hourly"}
rules: {packs: ["builtin:itu"]}
routes:
  - {topics: ["*"], min_severity: low, to: [console]}
`, filepath.Join(dir, "ituwatch.db"), srv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
	if code := runCLI(context.Background(), env, []string{"once", "-c", cfgPath, "--json"}); code != 0 {
		t.Fatalf("once exited %d\nstderr:\n%s", code, stderr.String())
	}
	type line struct {
		Title    string `json:"title"`
		Document struct {
			Restricted string `json:"restricted"`
		} `json:"document"`
		Matches []struct {
			Topic    string   `json:"topic"`
			Snippets []string `json:"snippets"`
		} `json:"matches"`
	}
	alerts := map[string]line{}
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var a line
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		alerts[a.Title] = a
	}
	if len(alerts) != 2 {
		t.Fatalf("%d alerts, want the addendum (by its body) and the restricted report (by its title):\n%s", len(alerts), stdout.String())
	}
	var add, rep line
	for title, a := range alerts {
		switch {
		case strings.Contains(title, "Addendum 14"):
			add = a
		case strings.Contains(title, "CWG-Internet"):
			rep = a
		}
	}
	if len(add.Matches) == 0 || add.Matches[0].Topic != "mandate-creep" {
		t.Fatalf("the addendum did not match mandate-creep by its body: %+v", add)
	}
	quoted := strings.Join(add.Matches[0].Snippets, " | ")
	if !strings.Contains(quoted, "revise Resolution 102 so that ITU leads the work on Internet-related public policy") {
		t.Errorf("the alert does not quote the body's sentence: %q", quoted)
	}
	if rep.Document.Restricted != "TIES login" {
		t.Errorf("the report behind the TIES login: restricted %q", rep.Document.Restricted)
	}

	// The console shows the same alerts to a person; the store keeps the
	// text, so the second run reads no file and sends nothing again.
	stdout.Reset()
	if code := runCLI(context.Background(), env, []string{"once", "-c", cfgPath}); code != 0 {
		t.Fatalf("second once exited %d\nstderr:\n%s", code, stderr.String())
	}
	if s := strings.TrimSpace(stdout.String()); s != "" && strings.Contains(s, "Addendum") {
		t.Errorf("the second run alerted again:\n%s", s)
	}
	out := runChat(t, nil, "sources\nrecent\n", "-c", cfgPath)
	for _, want := range []string{"1 source: 1 healthy", "restricted (TIES login): text not read"} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
}
