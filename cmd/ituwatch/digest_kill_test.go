package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// newDigestKillRig is the kill rig with every alert routed to a digest of
// #itu-alerts that closes once a day at closeAt (UTC, to the second).
func newDigestKillRig(t *testing.T, closeAt time.Time) *killRig {
	r := newKillRig(t)
	fsrv := httptest.NewServer(r.feed)
	t.Cleanup(func() { fsrv.CloseClientConnections(); fsrv.Close() })
	c := closeAt.UTC()
	cfg := fmt.Sprintf(`store: {path: %q}
http: {allow_private_networks: true, timeout: 10s}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 1h"}
routes:
  - topics: ["*"]
    to: ["slack:#itu-alerts"]
    digest: {schedule: "%d %d %d * * *", timezone: UTC}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  api_url: %q
`, filepath.Join(r.dir, "ituwatch.db"), fsrv.URL, c.Second(), c.Minute(), c.Hour(), r.slack.url())
	if err := os.WriteFile(r.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// owedEntries waits until the daemon has stored n alerts owed to the
// digest of dest.
func (r *killRig) owedEntries(dest string, n int, within time.Duration) {
	r.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(r.dir, "ituwatch.db"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer st.Close()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	deadline := time.After(within)
	for {
		e, err := st.OpenDigestEntries(context.Background(), dest, time.Now().Add(time.Hour))
		if err != nil {
			r.t.Fatal(err)
		}
		if len(e) >= n {
			return
		}
		select {
		case <-poll.C: // another process's store: nothing to wait on but time
		case <-deadline:
			r.t.Fatalf("%d alerts owed to the digest of %s after %v, want %d", len(e), dest, within, n)
		}
	}
}

// The period of a digest ends while ituwatch is down (killed with SIGKILL
// after it stored the period's alerts); the next start sends the digest,
// and is killed the moment Slack accepted it, before Slack answered; the
// start after that finds the digest in Slack instead of posting it again.
// In the end Slack holds the digest exactly once, with every alert, and
// none of the alerts was posted on its own.
func TestDigestExactlyOnceAcrossKill9(t *testing.T) {
	const dest = "slack:#itu-alerts"
	// Built before the clock starts: on a loaded machine the build alone
	// can take most of the time before the closing time.
	ituwatchBinary(t)
	closeAt := time.Now().Add(8 * time.Second).Truncate(time.Second)
	r := newDigestKillRig(t, closeAt)

	d := r.start()
	r.owedEntries(dest, wantAlerts, deliverAll)
	d.kill(t)
	if time.Now().After(closeAt) {
		t.Fatalf("the alerts were stored only after the digest's closing time %v; the test needs a faster machine or a later closing time", closeAt)
	}
	if n := len(r.slack.accepted_()); n != 0 {
		t.Fatalf("%d posts before the digest's closing time; alerts routed to a digest must wait for it", n)
	}

	// Down over the closing time.
	time.Sleep(time.Until(closeAt) + 200*time.Millisecond)

	r.slack.setHoldNext()
	d = r.start()
	var held slackPost
	select {
	case held = <-r.slack.held:
	case <-time.After(deliverAll):
		t.Fatal("the missed digest was not sent at the next start")
	}
	d.kill(t) // Slack has the digest; the store never heard back.

	d = r.start()
	r.waitDrained(deliverAll)
	if _, err := d.term(t); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}

	posts := r.slack.accepted_()
	if len(posts) != 1 || posts[0].AlertID != held.AlertID {
		t.Fatalf("Slack holds %+v; want exactly the one digest #%d", posts, held.AlertID)
	}
	st, err := store.Open(context.Background(), filepath.Join(r.dir, "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.Alert(context.Background(), held.AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if page.Kind != model.AlertDigest || page.Digest.Alerts != wantAlerts || !page.Digest.End.Equal(closeAt.UTC()) {
		t.Fatalf("the posted message is %s %+v; want the digest of %d alerts ending %v", page.Kind, page.Digest, wantAlerts, closeAt.UTC())
	}
	for _, title := range []string{"TSAG debates New IP successor", "CWG-Internet opens consultation", "IP address allocation", "FG-NET2030 report revives"} {
		if !strings.Contains(posts[0].Blocks, title) {
			t.Errorf("the digest in Slack lacks %q", title)
		}
	}
	var periods, deliveries int
	db := st.DB()
	if err := db.QueryRow(`SELECT count(*) FROM digests WHERE alert_id IS NOT NULL`).Scan(&periods); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM deliveries`).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if periods != 1 || deliveries != 1 {
		t.Errorf("%d digests and %d deliveries stored; want one digest, sent once, and no alert queued on its own", periods, deliveries)
	}
	t.Logf("digest #%d of %d alerts closed at %v while down; posted once across two SIGKILLs", held.AlertID, page.Digest.Alerts, closeAt.UTC().Format(time.TimeOnly))
}
