package pipeline

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/model"
)

// titleMatcher gives the match of an item by its whole title.
type titleMatcher map[string]model.Match // keyword -> match

func (s titleMatcher) Match(it *model.Item) []model.Match {
	var out []model.Match
	for kw, m := range s {
		if it.Title == kw {
			out = append(out, m)
		}
	}
	return out
}

func TestDigestRoutingSplitsBySeverity(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	slackDigest := model.Destination{Platform: "slack", Target: "#digest"}
	routes := NewRouteTable([]config.Route{
		{Topics: []string{"*"}, MinSeverity: model.SeverityLow, To: []model.Destination{slackDigest},
			Digest: &config.RouteDigest{Schedule: "daily", Below: model.SeverityHigh}},
		{Topics: []string{"ott"}, MinSeverity: model.SeverityLow, To: []model.Destination{{Platform: "matrix", Target: "!weekly:x"}},
			Digest: &config.RouteDigest{Schedule: "weekly"}},
		{Topics: []string{"*"}, MinSeverity: model.SeverityLow, To: []model.Destination{{Platform: "console"}}},
	})
	if _, err := st.Subscribe(ctx, "slack:C9", "ott"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetChannelDigest(ctx, model.ChannelDigest{Destination: "slack:C9", Schedule: "daily", Topics: []string{"ott"}}); err != nil {
		t.Fatal(err)
	}
	var got = map[string][]string{}
	in := NewIngester(Options{
		Store: st,
		Matcher: titleMatcher{
			"urgent":  {Topic: "new-ip", Severity: model.SeverityCritical},
			"routine": {Topic: "ott", Severity: model.SeverityMedium},
		},
		Routes:  routes,
		OnAlert: func(a model.Alert, dests []string) { got[a.Item.Title] = dests },
		Now:     time.Now,
	})
	items := []model.Item{
		{SourceID: "s", ID: "1", Title: "urgent", Link: "https://example.org/1"},
		{SourceID: "s", ID: "2", Title: "routine", Link: "https://example.org/2"},
	}
	if err := in.Ingest(ctx, "s", items); err != nil {
		t.Fatal(err)
	}
	// critical: posted at once to the split route; medium ott: into the
	// digests only (the route's, the weekly route's and the channel's).
	if want := []string{"slack:#digest", "console"}; !slices.Equal(got["urgent"], want) {
		t.Errorf("critical alert sent at once to %v, want %v", got["urgent"], want)
	}
	if want := []string{"console"}; !slices.Equal(got["routine"], want) {
		t.Errorf("medium alert sent at once to %v, want %v", got["routine"], want)
	}
	for _, dest := range []string{"slack:#digest", "matrix:!weekly:x", "slack:C9"} {
		e, err := st.OpenDigestEntries(ctx, dest, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(e) != 1 || e[0].Item.Title != "routine" {
			t.Errorf("digest of %s owes %+v, want the routine alert only", dest, e)
		}
	}
	due, _ := st.PendingDeliveries(ctx, 100)
	for _, d := range due {
		if d.Destination == "slack:C9" || d.Destination == "matrix:!weekly:x" {
			t.Errorf("alert %d queued to %s at once, which takes it in a digest", d.AlertID, d.Destination)
		}
	}
}

// A channel that muted a topic gets its alerts neither at once nor in its
// digest: the digest only counts them among the muted.
func TestMutedTopicStaysOutOfTheDigest(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	dest := model.Destination{Platform: "slack", Target: "#digest"}
	routes := NewRouteTable([]config.Route{
		{Topics: []string{"*"}, MinSeverity: model.SeverityLow, To: []model.Destination{dest},
			Digest: &config.RouteDigest{Schedule: "daily"}},
	})
	if _, err := st.AddMute(ctx, model.Mute{Destination: dest.String(), Kind: model.MuteTopic, Value: "ott"}); err != nil {
		t.Fatal(err)
	}
	in := NewIngester(Options{
		Store: st,
		Matcher: titleMatcher{
			"levy":   {Topic: "ott", Severity: model.SeverityMedium},
			"new ip": {Topic: "new-ip", Severity: model.SeverityMedium},
		},
		Routes: routes,
		Now:    time.Now,
	})
	items := []model.Item{
		{SourceID: "s", ID: "1", Title: "levy", Link: "https://example.org/1"},
		{SourceID: "s", ID: "2", Title: "new ip", Link: "https://example.org/2"},
	}
	if err := in.Ingest(ctx, "s", items); err != nil {
		t.Fatal(err)
	}
	owed, err := st.OpenDigestEntries(ctx, dest.String(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(owed) != 1 || owed[0].Item.Title != "new ip" {
		t.Errorf("digest owes %+v, want only the unmuted alert", owed)
	}
	counts, err := st.DeliveryCounts(ctx, dest.String(), time.Time{}, time.Now().Add(time.Hour))
	if err != nil || counts[model.DeliveryMuted] != 1 {
		t.Errorf("muted deliveries = %v, %v; want 1", counts, err)
	}
}
