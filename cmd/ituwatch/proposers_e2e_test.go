package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// proposersListing is an ITU document listing as meetingdoc.asp prints it,
// its source column in the forms ITU uses: one link per submitter, a
// group's label, a plain list, a sector member with its country.
func proposersListing() string {
	day := time.Now().UTC().Format("2006-01-02")
	row := func(n, title, source string) string {
		return fmt.Sprintf(`<tr><td><a href="/md/S26-PP-C-%04s/en"><strong>[ %s ]</strong></a></td><td>%s</td><td>%s</td><td>%s</td></tr>`, n, n, title, source, day)
	}
	return `<html><head><title>PP-26 contributions</title></head><body><table>
<tr><th>No.</th><th>Title</th><th>Source</th><th>Date</th></tr>` +
		row("45", "Proposed revision of Resolution 102 on Internet-related public policy issues",
			`<a href="/md/meetingdoc.asp?source=RCC">Member States of the Regional Commonwealth in the field of Communications (RCC)</a>`) +
		row("46", "Proposed revision of Resolution 180 on IPv6 address allocation by the ITU",
			`<a href="?source=Russia">Russia</a>, <a href="?source=Belarus">Belarus</a>`) +
		row("47", "Proposed revision of Resolution 102: the multistakeholder model",
			`Common Proposals of CEPT`) +
		row("48", "Resolution 102 and the CWG-Internet open consultations",
			`Brazil, Mexico and Paraguay`) +
		row("49", "New IP and Network 2030 at ITU-T",
			`<a href="?source=Huawei">Huawei Technologies Co., Ltd. (China)</a>`) +
		`</table></body></html>`
}

type proposerAlert struct {
	Title    string `json:"title"`
	Document struct {
		Proposers []string `json:"proposers"`
	} `json:"document"`
	Topics []struct {
		ID string `json:"id"`
	} `json:"topics"`
}

func runOnceOutput(t *testing.T, cfgPath string, json bool) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
	args := []string{"once", "-c", cfgPath}
	if json {
		args = append(args, "--json")
	}
	if code := runCLI(context.Background(), env, args); code != 0 {
		t.Fatalf("once exited %d\nstderr:\n%s", code, stderr.String())
	}
	return stdout.String()
}

// The listing's source column reaches every place proposers count: the
// alert's JSON and text, a topic limited by proposers, a route limited by
// proposers.
func TestOnceReadsProposersOffAnITUListing(t *testing.T) {
	fs := &feedServer{bodies: map[string]string{"/md/S26-PP-C/en": proposersListing()}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	write := func(dir, name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	config := func(dir, routes string) string {
		pack := write(dir, "rcc.yaml", `pack: rcc
topics:
  - id: rcc-proposals
    name: RCC and Russian proposals
    severity: high
    proposers: ["Russia", "RCC"]
    match: {phrases: ["Resolution 102", "Resolution 180"]}
`)
		return write(dir, "ituwatch.yaml", fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: pp26-docs, type: itu-listing, url: "%s/md/S26-PP-C/en", schedule: "@daily"}
rules: {packs: ["builtin:itu", %q]}
routes:
%s`, filepath.Join(dir, "ituwatch.db"), srv.URL, pack, routes))
	}

	all := config(t.TempDir(), "  - {topics: [\"*\"], to: [console]}\n")
	got := map[string]proposerAlert{}
	for _, line := range strings.Split(strings.TrimSpace(runOnceOutput(t, all, true)), "\n") {
		var a proposerAlert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		got[strings.TrimPrefix(strings.Fields(a.Title)[0], "PP26/")] = a
	}
	tests := []struct {
		number    string
		proposers []string
		rcc       bool // the topic limited to Russia and the RCC fires
	}{
		{"45", []string{"RCC"}, true},
		{"46", []string{"Russian Federation", "Belarus"}, true},
		{"47", []string{"CEPT"}, false},
		{"48", []string{"Brazil", "Mexico", "Paraguay"}, false},
		{"49", []string{"Huawei Technologies Co., Ltd. (China)"}, false},
	}
	for _, tt := range tests {
		a, ok := got[tt.number]
		if !ok {
			t.Errorf("no alert for document %s; alerts: %v", tt.number, got)
			continue
		}
		if !slices.Equal(a.Document.Proposers, tt.proposers) {
			t.Errorf("document %s: proposers = %q, want %q", tt.number, a.Document.Proposers, tt.proposers)
		}
		fired := slices.ContainsFunc(a.Topics, func(tp struct {
			ID string `json:"id"`
		}) bool {
			return tp.ID == "rcc-proposals"
		})
		if fired != tt.rcc {
			t.Errorf("document %s: rcc-proposals fired = %v, want %v (topics %v)", tt.number, fired, tt.rcc, a.Topics)
		}
	}

	// A route limited to the RCC's and CEPT's documents posts only those
	// to Slack, each saying who proposed it.
	slackAPI := newFakeSlackAPI(t, "xoxb-proposers-test")
	dir := t.TempDir()
	cfgPath := config(dir, fmt.Sprintf(`  - {topics: ["*"], proposers: ["Regional Commonwealth in the field of Communications", "CEPT"], to: ["slack:#itu-alerts"]}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  api_url: %q
`, slackAPI.url()))
	if _, errOut, code := runCLIForTest(t, map[string]string{"SLACK_BOT_TOKEN": "xoxb-proposers-test"}, "once", "-c", cfgPath); code != 0 {
		t.Fatalf("once exited %d: %s", code, errOut)
	}
	var posted []string
	for _, p := range slackAPI.accepted_() {
		posted = append(posted, p.Blocks)
	}
	if len(posted) != 2 {
		t.Fatalf("Slack got %d messages, want the RCC's and CEPT's documents:\n%s", len(posted), strings.Join(posted, "\n"))
	}
	for i, want := range []string{"proposed by RCC", "proposed by CEPT"} {
		if !strings.Contains(posted[i], want) {
			t.Errorf("message %d lacks %q: %s", i+1, want, posted[i])
		}
	}
}
