package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeHomeserver answers the Matrix client-server calls a send needs:
// whoami and PUT /rooms/{room}/send/{type}/{txn}.
type fakeHomeserver struct {
	mu     sync.Mutex
	events []map[string]any
	txns   []string
	homeserverSync
}

func (f *fakeHomeserver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	down, revoked := f.down, f.revoked
	f.mu.Unlock()
	if down {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, `<html><body>502 Bad Gateway</body></html>`)
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/_matrix/client/v3/login" {
		f.login(w, r)
		return
	}
	if !f.tokenOK(r.Header.Get("Authorization"), revoked) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errcode":"M_UNKNOWN_TOKEN","error":"Unknown token"}`)
		return
	}
	switch {
	case r.URL.Path == "/_matrix/client/v3/account/whoami":
		fmt.Fprint(w, `{"user_id":"@ituwatch:hs.test","device_id":"DEV1"}`)
	case r.URL.Path == "/_matrix/client/v3/sync":
		f.sync(w, r)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/filter"):
		fmt.Fprint(w, `{"filter_id":"f1"}`)
	case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/send/m.room.message/"):
		var content map[string]any
		if err := json.NewDecoder(r.Body).Decode(&content); err != nil {
			http.Error(w, `{"errcode":"M_BAD_JSON"}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.events = append(f.events, content)
		f.txns = append(f.txns, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
		n := len(f.events)
		f.mu.Unlock()
		fmt.Fprintf(w, `{"event_id":"$ev%d"}`, n)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errcode":"M_UNRECOGNIZED","error":"not in this fake"}`)
	}
}

func TestOnceDeliversSanitisedNoticesToMatrix(t *testing.T) {
	hostile := rssItem("h1", "&lt;script&gt;alert(1)&lt;/script&gt; @room CWG-Internet vote on Resolution 102",
		"Members of the Council Working Group on Internet-related public policy meet. &lt;a href=&quot;javascript:alert(1)&quot;&gt;details&lt;/a&gt;")
	feeds := &feedServer{etags: true, bodies: map[string]string{"/news.rss": rss(hostile)}}
	feedSrv := httptest.NewServer(feeds)
	defer feedSrv.Close()
	hs := &fakeHomeserver{}
	hsSrv := httptest.NewServer(hs)
	defer hsSrv.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss"}
routes:
  - {topics: ["*"], to: ["matrix:!alerts:hs.test"]}
matrix: {homeserver: "%s", user_id: "@ituwatch:hs.test", access_token: "${MATRIX_ACCESS_TOKEN}"}
`, filepath.Join(dir, "ituwatch.db"), feedSrv.URL, hsSrv.URL)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLIForTest(t, map[string]string{"MATRIX_ACCESS_TOKEN": "syt-test-token"}, "once", "-c", path)
	if code != 0 {
		t.Fatalf("once exited %d: %s", code, errOut)
	}
	if strings.Contains(errOut, "syt-test-token") {
		t.Errorf("the access token appears in the output: %s", errOut)
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if len(hs.events) != 1 {
		t.Fatalf("homeserver got %d events, want 1", len(hs.events))
	}
	ev := hs.events[0]
	if ev["msgtype"] != "m.notice" || ev["format"] != "org.matrix.custom.html" {
		t.Errorf("event msgtype %v format %v, want m.notice with HTML", ev["msgtype"], ev["format"])
	}
	mentions, ok := ev["m.mentions"].(map[string]any)
	if !ok || len(mentions) != 0 {
		t.Errorf("m.mentions = %v, want an empty object so nobody is pinged", ev["m.mentions"])
	}
	html, _ := ev["formatted_body"].(string)
	for _, bad := range []string{"<script", "javascript:", "<a href=\"javascript"} {
		if strings.Contains(strings.ToLower(html), bad) {
			t.Errorf("formatted_body contains %q: %s", bad, html)
		}
	}
	if !strings.Contains(html, "mandate-creep") {
		t.Errorf("formatted_body does not name the topic: %s", html)
	}
	if !strings.HasPrefix(hs.txns[0], "itu-") {
		t.Errorf("transaction id %q is not derived from the delivery", hs.txns[0])
	}
}
