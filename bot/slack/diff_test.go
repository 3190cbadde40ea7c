package slack

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
)

// An update whose text changed shows, in its thread, the sentences that
// changed: over the Web API as Slack receives it.
func TestSendShowsWhatChanged(t *testing.T) {
	p := postInThread(t, bottest.DiffUpdate())
	if p.Get("thread_ts") != threadTS {
		t.Errorf("thread_ts = %q, want the first alert's thread", p.Get("thread_ts"))
	}
	golden(t, "alert_diff.golden.json", prettyBlocks(t, p))
}

// A hostile added sentence reaches the thread with its matched word in
// bold and nothing in it live: no mention, no link, no formatting.
func TestSendDiffEscapesHostileText(t *testing.T) {
	p := postInThread(t, bottest.HostileDiff())
	var diff string
	for _, tx := range texts(postedBlocks(t, p)) {
		if s := tx["text"].(string); strings.Contains(s, "What changed") {
			diff = s
			if tx["verbatim"] != true {
				t.Errorf("diff text without verbatim: %q", s)
			}
		}
	}
	if diff == "" {
		t.Fatalf("no diff section in %s", p.Get("blocks"))
	}
	for _, m := range anyAngle.FindAllString(diff, -1) {
		t.Errorf("live markup %q in %q", m, diff)
	}
	for _, want := range []string{
		":heavy_plus_sign: &lt;!channel&gt; @room read &lt;b&gt;this&lt;/b&gt; &lt;https://evil.example|*IPv6* now&gt;",
		"∗urgent∗ ∼gone∼ ˋcodeˋ &amp; *IPv6* &lt;script&gt;x&lt;/script&gt;.",
	} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff section lacks %q:\n%s", want, diff)
		}
	}
	golden(t, "alert_diff_hostile.golden.json", prettyBlocks(t, p))
}

// A revision's update says what the revision added, in its heading and
// its lines, as Slack receives the post.
func TestSendShowsWhatARevisionAdded(t *testing.T) {
	p := postInThread(t, bottest.RevisionDiff())
	var diff string
	for _, tx := range texts(postedBlocks(t, p)) {
		if s := tx["text"].(string); strings.Contains(s, "Rev.1 adds") {
			diff = s
		}
	}
	for _, want := range []string{"*Rev.1 adds 1 sentence, removes 1*", ":heavy_plus_sign: ITU shall coordinate the allocation of *IPv6* address blocks"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff section lacks %q:\n%s", want, diff)
		}
	}
	golden(t, "alert_diff_revision.golden.json", prettyBlocks(t, p))
}

// threadTS is the first alert's message, whose thread updates go to.
const threadTS = "1700000000.000001"

// postInThread sends an update in the thread of its first alert to the
// fake Web API and returns the post it accepted.
func postInThread(t *testing.T, a model.Alert) url.Values {
	t.Helper()
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	out := outgoing(a)
	out.ThreadID = threadTS
	if _, err := c.Send(context.Background(), out); err != nil {
		t.Fatalf("Send: %v", err)
	}
	return f.acceptedPosts()[0]
}
