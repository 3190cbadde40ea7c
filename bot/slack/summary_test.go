package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/model"
)

func summaryAlert() model.Alert {
	return model.Alert{
		ID:        1021,
		Kind:      model.AlertSummary,
		Item:      model.Item{SourceID: "flood-wire"},
		Held:      &model.HeldAlerts{Source: "flood-wire", Destination: "slack:#itu-alerts", Count: 980, Limit: 20, Topics: []string{"new-ip"}},
		CreatedAt: time.Now().Add(time.Minute),
	}
}

// A summary of held alerts is posted through the Web API like an alert,
// with the delivery in its metadata (so a retry finds it), as Block Kit.
func TestSendPostsSummaryBlocks(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	if _, err := c.Send(context.Background(), outgoing(summaryAlert())); err != nil {
		t.Fatalf("Send: %v", err)
	}
	posts := f.acceptedPosts()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	p := posts[0]
	if got := p.Get("text"); got != "+980 more alerts from flood-wire were not posted" {
		t.Errorf("fallback text = %q", got)
	}
	var meta slack.SlackMetadata
	if err := json.Unmarshal([]byte(p.Get("metadata")), &meta); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if meta.EventType != MetadataEventType || !sameID(meta.EventPayload["delivery_id"], 7) || !sameID(meta.EventPayload["alert_id"], 1021) {
		t.Errorf("metadata = %+v", meta)
	}
	golden(t, "summary.golden.json", prettyBlocks(t, p))
}

func TestSummaryEscapesMarkup(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	a := summaryAlert()
	a.Held.Source = "<!channel> <@U123> *x*"
	a.Held.Topics = []string{"<https://evil.example|click>"}
	if _, err := c.Send(context.Background(), outgoing(a)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	p := f.acceptedPosts()[0]
	for _, tx := range append(texts(postedBlocks(t, p)), map[string]any{"type": "fallback", "text": p.Get("text")}) {
		s := tx["text"].(string)
		if tx["type"] == "mrkdwn" && tx["verbatim"] != true {
			t.Errorf("mrkdwn text without verbatim: %q", s)
		}
		if m := anyAngle.FindString(s); m != "" {
			t.Errorf("markup %q reached Slack in %q", m, s)
		}
		if strings.Contains(s, "<!") || strings.Contains(s, "<@") {
			t.Errorf("a mention reached Slack: %q", s)
		}
	}
}
