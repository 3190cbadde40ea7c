package matrix

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

func summaryAlert() model.Alert {
	return model.Alert{
		ID:        1021,
		Kind:      model.AlertSummary,
		Item:      model.Item{SourceID: "flood-wire"},
		Held:      &model.HeldAlerts{Source: "flood-wire", Destination: "matrix:" + alertsRoom, Count: 980, Limit: 20, Topics: []string{"new-ip"}},
		CreatedAt: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
	}
}

// A summary of held alerts goes through the client-server API like an
// alert: one m.notice, no mentions, HTML that passes the policy.
func TestSendSummaryGolden(t *testing.T) {
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	if _, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: 9, Alert: summaryAlert(), Target: alertsRoom, Attempt: 1}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ev := f.waitSent(t)
	body, _ := ev.Content["body"].(string)
	fb, _ := ev.Content["formatted_body"].(string)
	checkHTML(t, fb)
	for _, want := range []string{"+980 more alerts from flood-wire were not posted", "!itu recent new-ip 20", "!itu explain <number>"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(fb, "!itu search &lt;words&gt;") {
		t.Errorf("formatted_body does not escape the hint: %s", fb)
	}
	golden(t, "summary.golden.json", indentJSON(t, ev.Raw))
}

func TestSummaryIsNeutralised(t *testing.T) {
	a := summaryAlert()
	a.Held.Source = "@room <img src=x onerror=alert(1)>"
	a.Held.Topics = []string{"<a href='javascript:x'>t</a>"}
	ct := alertContent(render.NewAlertView(a, render.ViewOptions{CommandPrefix: CommandPrefix + " "}))
	checkHTML(t, ct.FormattedBody)
	if strings.Contains(ct.Body, "@room") || strings.Contains(ct.FormattedBody, "@room") {
		t.Errorf("the summary pings the room:\n%s\n%s", ct.Body, ct.FormattedBody)
	}
	if strings.Contains(ct.FormattedBody, "<img") || strings.Contains(ct.FormattedBody, "<a ") {
		t.Errorf("markup survived: %s", ct.FormattedBody)
	}
}
