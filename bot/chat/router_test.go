package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
)

// The router answers every listener's commands as is.
var _ Handler = (*Router)(nil)

// fakeQueries answers the router from fixed data and records its calls.
type fakeQueries struct {
	mu          sync.Mutex
	now         time.Time
	alerts      []model.Alert // newest first
	hits        []model.SearchHit
	week, month map[string]int
	states      []model.SourceState
	dests       []model.DestinationStatus
	subs        map[string][]string
	err         error

	recentTopic string
	recentLimit int
	searchQuery string
	searchLimit int
}

func (f *fakeQueries) RecentAlerts(_ context.Context, topic string, limit int) ([]model.Alert, error) {
	f.recentTopic, f.recentLimit = topic, limit
	if f.err != nil {
		return nil, f.err
	}
	var out []model.Alert
	for _, a := range f.alerts {
		if topic == "" || contains(a.Topics(), topic) {
			out = append(out, a)
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeQueries) Search(_ context.Context, q string, limit int) ([]model.SearchHit, error) {
	f.searchQuery, f.searchLimit = q, limit
	if f.err != nil {
		return nil, f.err
	}
	if q == "zzz" {
		return nil, nil
	}
	return f.hits, nil
}

func (f *fakeQueries) TopicCounts(_ context.Context, since time.Time) (map[string]int, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.now.Sub(since) <= 8*24*time.Hour {
		return f.week, nil
	}
	return f.month, nil
}

func (f *fakeQueries) Alert(_ context.Context, id int64) (model.Alert, error) {
	if f.err != nil {
		return model.Alert{}, f.err
	}
	for _, a := range f.alerts {
		if a.ID == id {
			return a, nil
		}
	}
	return model.Alert{}, fmt.Errorf("alert %d: %w", id, model.ErrNotFound)
}

func (f *fakeQueries) SourceStates(context.Context) ([]model.SourceState, error) {
	return f.states, f.err
}

func (f *fakeQueries) Subscribe(_ context.Context, dest, topic string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	if contains(f.subs[dest], topic) {
		return false, nil
	}
	f.subs[dest] = append(f.subs[dest], topic)
	return true, nil
}

func (f *fakeQueries) Unsubscribe(_ context.Context, dest, topic string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.subs[dest] {
		if s == topic {
			f.subs[dest] = append(f.subs[dest][:i], f.subs[dest][i+1:]...)
			return true, nil
		}
	}
	return false, f.err
}

func (f *fakeQueries) Subscriptions(_ context.Context, dest string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.subs[dest]...), f.err
}

func (f *fakeQueries) DestinationStatuses(context.Context) ([]model.DestinationStatus, error) {
	return f.dests, f.err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var testTopics = []TopicInfo{
	{ID: "new-ip", Name: "New IP", Severity: model.SeverityHigh, Annotation: "protocol redesign at ITU-T"},
	{ID: "mandate-creep", Name: "Mandate creep", Severity: model.SeverityMedium},
	{ID: "ott", Name: "OTT regulation", Severity: model.SeverityMedium},
}

var testSources = []SourceInfo{
	{ID: "itu-news", Name: "ITU News", Type: "rss", URL: "https://www.itu.int/news/rss"},
	{ID: "cdt", Name: "CDT", Type: "rss", URL: "https://cdt.example/feed"},
	{ID: "old", Name: "Old page", Type: "page", URL: "https://old.example/"},
	{ID: "fresh", Name: "New source", Type: "itu-docs", URL: "https://www.itu.int/md/"},
}

func newFakeQueries() *fakeQueries {
	update := bottest.Update()
	update.ID, update.ParentID = 43, 42
	return &fakeQueries{
		now:    bottest.T0,
		alerts: []model.Alert{update, bottest.NewIP(), bottest.MultiTopic()},
		hits: []model.SearchHit{
			{Item: bottest.NewIP().Item, AlertID: 42, Topics: []string{"new-ip"}, Snippet: model.Snippet{Field: "content", Parts: bottest.Parts("the so-called ", "New IP", " proposal")}},
			{Item: model.Item{SourceID: "cdt", Title: "Never alerted"}, Snippet: model.Snippet{Parts: bottest.Parts("a ", "new IP", " camera")}},
		},
		week:  map[string]int{"new-ip": 2},
		month: map[string]int{"new-ip": 5, "ott": 1},
		states: []model.SourceState{
			{SourceID: "itu-news", LastPoll: bottest.T0.Add(-time.Hour), LastSuccess: bottest.T0.Add(-time.Hour)},
			{SourceID: "cdt", LastPoll: bottest.T0.Add(-time.Hour), LastSuccess: bottest.T0.Add(-72 * time.Hour), ConsecutiveFailures: 3, LastError: "fetch https://cdt.example/feed: HTTP 503"},
			{SourceID: "old", LastPoll: bottest.T0.Add(-time.Hour), Retired: true, ConsecutiveFailures: 1, LastError: "HTTP 410 Gone"},
			{SourceID: "removed-from-config", LastPoll: bottest.T0},
		},
		dests: []model.DestinationStatus{
			{Destination: "slack:C1", Pending: 2, OldestPending: bottest.T0.Add(-time.Hour), Failed: 1, LastError: "channel_not_found: invite the bot", LastDelivered: bottest.T0.Add(-3 * time.Hour)},
			{Destination: "console", LastDelivered: bottest.T0.Add(-time.Minute)},
		},
		subs: map[string][]string{"slack:C1": {"new-ip"}},
	}
}

func newTestRouter(q Queries, clock *bottest.Clock) *Router {
	return NewRouter(RouterOptions{Queries: q, Topics: testTopics, Sources: testSources, Now: clock.Now, Version: "1.2.3", Logger: bottest.QuietLogger()})
}

func TestRouterCommands(t *testing.T) {
	slack := func(text string) Request {
		return Request{Text: text, Platform: "slack", Channel: "C1", User: "U1"}
	}
	tests := []struct {
		name    string
		req     Request
		err     bool
		want    []string // substrings of the plain rendering
		notWant []string
		setup   func(q *fakeQueries)
		check   func(t *testing.T, q *fakeQueries)
	}{
		{name: "help", req: slack("help"), want: []string{"ituwatch commands", "recent [topic] [n]", "subscribe <topic> or *", "(admins)", "ituwatch 1.2.3", "topics: new-ip, mandate-creep, ott"}},
		{name: "empty is help", req: slack("   "), want: []string{"ituwatch commands"}},
		{name: "case and spaces", req: slack("  HeLP   "), want: []string{"ituwatch commands"}},
		{name: "unknown command", req: slack("frobnicate now"), err: true, want: []string{`unknown command "frobnicate"`, "recent [topic] [n]"}},
		{name: "typo suggests", req: slack("recnt"), err: true, want: []string{"did you mean recent?"}},
		{name: "too long", req: slack("search " + strings.Repeat("x", 200)), err: true, want: []string{"too long (207 characters)", "at most 200"}},
		{name: "control characters ignored", req: slack("\x1b[31mrecent\x1b[0m"), want: []string{"Latest 3 alerts on all topics"}},

		{name: "recent default", req: slack("recent"), want: []string{"Latest 3 alerts on all topics", "#42 · high · new-ip · ITU News · 2026-11-20 · doc T22-TSAG-C-0123", "update of #42: revised (Rev.1)"},
			check: func(t *testing.T, q *fakeQueries) {
				if q.recentTopic != "" || q.recentLimit != 5 {
					t.Errorf("RecentAlerts(%q, %d), want (\"\", 5)", q.recentTopic, q.recentLimit)
				}
			}},
		{name: "recent topic and n capped", req: slack("RECENT New-IP 50"), want: []string{"Latest alert on new-ip", "showing at most 20"},
			check: func(t *testing.T, q *fakeQueries) {
				if q.recentTopic != "new-ip" || q.recentLimit != 20 {
					t.Errorf("RecentAlerts(%q, %d), want (new-ip, 20)", q.recentTopic, q.recentLimit)
				}
			}},
		{name: "recent n then topic", req: slack("recent 3 ott"), want: []string{"on ott"},
			check: func(t *testing.T, q *fakeQueries) {
				if q.recentTopic != "ott" || q.recentLimit != 3 {
					t.Errorf("RecentAlerts(%q, %d), want (ott, 3)", q.recentTopic, q.recentLimit)
				}
			}},
		{name: "recent forgiving topic", req: slack("recent newip"), want: []string{"on new-ip"}},
		{name: "recent all", req: slack("recent all 2"), want: []string{"Latest 2 alerts on all topics"}},
		{name: "recent unknown topic", req: slack("recent new-iq"), err: true, want: []string{`unknown topic "new-iq"; topics are: new-ip, mandate-creep, ott`, "did you mean new-ip?"}},
		{name: "recent zero", req: slack("recent 0"), err: true, want: []string{"1 to 20"}},
		{name: "recent negative", req: slack("recent -4"), err: true, want: []string{"1 to 20"}},
		{name: "recent two topics", req: slack("recent new-ip ott"), err: true, want: []string{"one topic and a number"}},
		{name: "recent nothing", req: slack("recent mandate-creep"), setup: func(q *fakeQueries) { q.alerts = nil }, want: []string{"No alerts on mandate-creep yet."}, notWant: []string{"#"}},

		{name: "search", req: slack("search  New   IP"), want: []string{"Best 2 results for \"New IP\"", "#42 · new-ip · ITU News · 2026-11-20", "«the so-called New IP proposal»", "no alert · CDT"}, notWant: []string{"**"},
			check: func(t *testing.T, q *fakeQueries) {
				if q.searchQuery != "New IP" || q.searchLimit != 5 {
					t.Errorf("Search(%q, %d), want (\"New IP\", 5)", q.searchQuery, q.searchLimit)
				}
			}},
		{name: "search one result", req: slack("search New IP"), setup: func(q *fakeQueries) { q.hits = q.hits[:1] }, want: []string{`1 result for "New IP"`}, notWant: []string{"results", "Best"}},
		{name: "search nothing found", req: slack("search zzz"), want: []string{`Nothing found for "zzz".`}},
		{name: "search without words", req: slack("search"), err: true, want: []string{"search needs some words", "try: search New IP"}},

		{name: "topics", req: slack("topics"), want: []string{"3 topics watched", "new-ip — New IP", "high · 2 alerts in the last 7 days, 5 in 30 days", "ott — OTT regulation", "medium · 0 alerts in the last 7 days, 1 in 30 days"}},

		{name: "sources", req: slack("sources"), want: []string{
			"4 sources: 1 healthy, 1 failing, 1 retired, 1 never polled",
			"ITU News (itu-news) <https://www.itu.int/news/rss>", "healthy · last success 1h ago · rss",
			"failing · last success 3d ago · 3 failures in a row · last error: fetch https://cdt.example/feed: HTTP 503",
			"retired · the site says it is gone",
			"New source (fresh)", "never polled · not polled yet",
		}, notWant: []string{"removed-from-config"}},

		{name: "status", req: slack("status"), want: []string{
			"ituwatch 1.2.3 status",
			"1 healthy, 1 failing, 1 retired, 1 never polled · needs attention: cdt, old",
			"Deliveries to console", "nothing pending · last delivered 1m ago",
			"Deliveries to slack:C1", "2 pending, oldest 1h ago · 1 failed · last delivered 3h ago · last error: channel_not_found: invite the bot",
		}},

		{name: "explain", req: slack("explain #42"), want: []string{
			"Why alert #42 matched (new)", "ITU-T TSAG debates", "new-ip — New IP and successors",
			"high, score 5 · matched “New IP”, “FG-NET2030”", "«…the so-called New IP proposal", "in the content",
			"why it matters: A top-down redesign"}, notWant: []string{"**"}},
		{name: "explain one more place", req: slack("explain 42"), setup: func(q *fakeQueries) {
			sn := q.alerts[1].Matches[0].Snippets[0]
			q.alerts[1].Matches[0].Snippets = []model.Snippet{sn, sn, sn, sn}
		}, want: []string{"+1 more place"}, notWant: []string{"places"}},
		{name: "explain salience", req: slack("explain 42"), setup: func(q *fakeQueries) {
			q.alerts[1].Matches[0].Salience = "2 places, deep in a long text: score × 0.5"
		}, want: []string{"high, score 5 (2 places, deep in a long text: score × 0.5)"}},
		{name: "explain update", req: slack("explain 43"), want: []string{"Why alert #43 matched (update of #42: revised (Rev.1))"}},
		{name: "explain unknown", req: slack("explain 999"), err: true, want: []string{"There is no alert #999."}},
		{name: "explain not a number", req: slack("explain new-ip"), err: true, want: []string{`"new-ip" is not an alert number`, "try: explain 42"}},
		{name: "explain nothing", req: slack("explain"), err: true, want: []string{"explain needs one alert number"}},

		{name: "subscriptions", req: slack("subscriptions"), want: []string{"This channel receives alerts on:", "new-ip", "New IP · high"}},
		{name: "subscriptions elsewhere", req: Request{Text: "subscriptions", Platform: "matrix", Channel: "!r:example.org"}, want: []string{"This channel has no subscriptions."}},
		{name: "subscribe needs admin", req: slack("subscribe ott"), err: true, want: []string{"Only admins can change", "Matrix room moderator"},
			check: func(t *testing.T, q *fakeQueries) {
				if len(q.subs["slack:C1"]) != 1 {
					t.Errorf("a non-admin changed subscriptions: %v", q.subs)
				}
			}},
		{name: "unsubscribe needs admin", req: slack("unsubscribe new-ip"), err: true, want: []string{"Only admins"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &bottest.Clock{T: bottest.T0}
			q := newFakeQueries()
			if tt.setup != nil {
				tt.setup(q)
			}
			r := newTestRouter(q, clock)
			reply := r.Handle(context.Background(), tt.req)
			out := RenderPlain(reply)
			if reply.Error != tt.err {
				t.Errorf("Error = %v, want %v:\n%s", reply.Error, tt.err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("reply lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("reply has %q:\n%s", w, out)
				}
			}
			bottest.AssertTerminalSafe(t, out)
			if tt.check != nil {
				tt.check(t, q)
			}
		})
	}
}

func TestRouterSubscriptionFlow(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	q := newFakeQueries()
	r := newTestRouter(q, clock)
	admin := func(text string) Request {
		return Request{Text: text, Platform: "matrix", Channel: "!room:example.org", User: "@ann:example.org", CanAdmin: true}
	}
	steps := []struct {
		req  Request
		err  bool
		want string
		subs string
	}{
		{admin("subscribe NEW-IP"), false, "This channel now receives new-ip alerts.", "[new-ip]"},
		{admin("subscribe new-ip"), false, "This channel already receives new-ip alerts.", "[new-ip]"},
		{admin("subscribe *"), false, "This channel now receives alerts on every topic.", "[new-ip *]"},
		{admin("subscribe bogus"), true, `unknown topic "bogus"`, "[new-ip *]"},
		{admin("subscribe"), true, "subscribe takes one topic", "[new-ip *]"},
		{admin("subscribe ott new-ip"), true, "subscribe takes one topic", "[new-ip *]"},
		{admin("subscriptions"), false, "every topic", "[new-ip *]"},
		{admin("unsubscribe ott"), false, "This channel was not subscribed to ott alerts.", "[new-ip *]"},
		{admin("unsubscribe new-ip"), false, "This channel no longer receives new-ip alerts.", "[*]"},
		{admin("unsubscribe all"), false, "no longer receives alerts on every topic", "[]"},
		{Request{Text: "subscribe ott", Platform: "slack", User: "U1", CanAdmin: true}, true, "which channel", "[]"},
	}
	for _, s := range steps {
		reply := r.Handle(context.Background(), s.req)
		out := RenderPlain(reply)
		if reply.Error != s.err || !strings.Contains(out, s.want) {
			t.Errorf("%q: got (error %v)\n%s\nwant error %v and %q", s.req.Text, reply.Error, out, s.err, s.want)
		}
		if got := fmt.Sprint(q.subs["matrix:!room:example.org"]); got != s.subs {
			t.Errorf("%q: subscriptions now %s, want %s", s.req.Text, got, s.subs)
		}
		clock.Advance(time.Minute) // stay clear of the rate limit
	}

	// The terminal's alerts go to the console destination.
	r.Handle(context.Background(), Request{Text: "subscribe ott", Platform: "console", Channel: "terminal", User: "local", CanAdmin: true})
	if got := fmt.Sprint(q.subs["console"]); got != "[ott]" {
		t.Errorf("console subscriptions = %s, want [ott]", got)
	}
}

func TestRouterStoreErrors(t *testing.T) {
	for _, text := range []string{"recent", "search x", "topics", "sources", "status", "explain 1", "subscriptions"} {
		q := newFakeQueries()
		q.err = errors.New("database is locked")
		r := newTestRouter(q, &bottest.Clock{T: bottest.T0})
		reply := r.Handle(context.Background(), Request{Text: text, Platform: "slack", Channel: "C1", User: "U1"})
		out := RenderPlain(reply)
		if !reply.Error || !strings.Contains(out, "could not read the alert database") || strings.Contains(out, "locked") {
			t.Errorf("%q with a failing store:\n%s\nwant a plain apology without internals", text, out)
		}
	}
}

func TestRouterRateLimit(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	r := newTestRouter(newFakeQueries(), clock)
	ask := func(platform, user string) bool {
		reply := r.Handle(context.Background(), Request{Text: "help", Platform: platform, Channel: "C1", User: user})
		limited := strings.Contains(reply.Title, "sending commands quickly")
		if limited != reply.Error {
			t.Errorf("rate-limit reply Error = %v", reply.Error)
		}
		return !limited
	}
	for i := range 5 {
		if !ask("slack", "U1") {
			t.Fatalf("command %d of a burst of 5 was refused", i+1)
		}
	}
	if ask("slack", "U1") {
		t.Error("sixth command in a burst was answered")
	}
	if !ask("slack", "U2") {
		t.Error("another user was limited by U1")
	}
	if !ask("matrix", "U1") {
		t.Error("the same id on another platform was limited")
	}
	clock.Advance(2 * time.Second)
	if ask("slack", "U1") {
		t.Error("answered before a token was back")
	}
	clock.Advance(time.Second)
	if !ask("slack", "U1") {
		t.Error("refused after 3 s")
	}
	for range 20 {
		if !ask("console", "local") {
			t.Fatal("the local terminal was rate limited")
		}
	}
}

func TestRouterOneTopicIsSingular(t *testing.T) {
	r := NewRouter(RouterOptions{Queries: newFakeQueries(), Topics: testTopics[:1], Now: (&bottest.Clock{T: bottest.T0}).Now, Logger: bottest.QuietLogger()})
	out := RenderPlain(r.Handle(context.Background(), Request{Text: "topics", Platform: "console"}))
	if !strings.HasPrefix(out, "1 topic watched") {
		t.Errorf("topics with one topic:\n%s", out)
	}
}
