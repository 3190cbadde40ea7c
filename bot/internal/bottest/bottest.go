// Package bottest holds what the tests of bot/... share: the alerts they
// render, deliver and explain, so that every surface is tested on the same
// ones, a settable clock and a quiet logger.
package bottest

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// Parts builds a snippet from its parts; odd positions are hits.
func Parts(ps ...string) []model.SnippetPart {
	// Odd positions are hits: "before", "HIT", "after", ...
	out := make([]model.SnippetPart, len(ps))
	for i, p := range ps {
		out[i] = model.SnippetPart{Text: p, Hit: i%2 == 1}
	}
	return out
}

// Day is when the fixtures were published.
var Day = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// NewIP is a new alert on one topic, from an ITU document.
func NewIP() model.Alert {
	return model.Alert{
		ID:   42,
		Kind: model.AlertNew,
		Item: model.Item{
			SourceID:  "itu-news",
			ID:        "guid-1",
			Title:     `ITU-T TSAG debates a "New IP" work item for FG-NET2030 successor`,
			Link:      "https://www.itu.int/en/news/tsag-new-ip",
			Published: Day,
			Document:  &model.DocumentRef{Number: "T22-TSAG-C-0123"},
		},
		Matches: []model.Match{{
			Topic: "new-ip", TopicName: "New IP and successors", Severity: model.SeverityHigh, Score: 5,
			Annotation: "A top-down redesign of the Internet protocol at ITU-T, first pushed in FG-NET2030.",
			Hits: []model.Hit{
				{Term: "new ip", Text: "New IP", Field: "content"},
				{Term: "fg-net2030", Text: "FG-NET2030", Field: "content"},
				{Term: "new ip", Text: "new IP", Field: "title"},
			},
			Snippets: []model.Snippet{{Field: "content", Parts: Parts("…the so-called ", "New IP", " proposal, first floated at ", "FG-NET2030", ", returns…")}},
		}},
		CreatedAt: Day.Add(time.Hour),
	}
}

// Update is an update of alert 40: a revised document.
func Update() model.Alert {
	return model.Alert{
		ID:       43,
		Kind:     model.AlertUpdate,
		ParentID: 40,
		Change:   "revised (Rev.1)",
		Item: model.Item{
			SourceID: "itu-council-docs",
			ID:       "C26/51",
			Title:    "Draft report of CWG-Internet on Internet-related public policy issues",
			Link:     "https://www.itu.int/md/S26-CL-C-0051/en",
			Updated:  Day,
			Document: &model.DocumentRef{Number: "C26/51", Revision: "Rev.1", Languages: []string{"E", "F"},
				Proposers: []string{"Russian Federation", "RCC"}},
		},
		Matches: []model.Match{{
			Topic: "mandate-creep", TopicName: "Mandate creep", Severity: model.SeverityMedium, Score: 2.5,
			Annotation: "CWG-Internet hangs off Resolution 102, the main route for ITU claims on Internet public policy.",
			Hits:       []model.Hit{{Term: "cwg-internet", Text: "CWG-Internet", Field: "title"}},
			Snippets:   []model.Snippet{{Field: "title", Parts: Parts("Draft report of ", "CWG-Internet", " on Internet-related public policy issues")}},
		}},
		CreatedAt: Day.Add(2 * time.Hour),
	}
}

// MultiTopic matched three topics, one without quotes and one with a long one.
func MultiTopic() model.Alert {
	long := strings.Repeat("Plenipotentiary proposals on over-the-top services and network security ", 5)
	return model.Alert{
		ID:   57,
		Kind: model.AlertNew,
		Item: model.Item{
			SourceID:  "circleid",
			ID:        "https://circleid.example/posts/57",
			Title:     long,
			Link:      "https://circleid.example/posts/57",
			Published: Day,
		},
		Matches: []model.Match{
			{
				Topic: "ott", TopicName: "OTT regulation", Severity: model.SeverityMedium, Score: 3.333333,
				Annotation: "Res. 206 and fair-share fees would put Internet services under telecom rules.",
				Hits:       []model.Hit{{Text: "Res. 206"}, {Text: "fair share"}, {Text: "res. 206"}},
				Snippets: []model.Snippet{
					{Field: "content", Parts: Parts("delegates cited ", "Res. 206", " when")},
					{Field: "content", Parts: Parts("a ", "fair share", " levy on platforms")},
					{Field: "content", Parts: Parts("again ", "Res. 206", "")},
				},
			},
			{
				Topic: "cybersecurity", TopicName: "Cybersecurity mandate", Severity: model.SeverityCritical, Score: 4,
				Hits: []model.Hit{{Term: "res 130", Text: "Resolution 130"}},
			},
			{
				Topic: "surveillance", TopicName: "Surveillance standards", Severity: model.SeverityLow, Score: 1,
				Annotation: "SG16 facial-recognition standards were drafted largely by vendors.",
				Snippets:   []model.Snippet{{Field: "content", Parts: Parts(strings.Repeat("long context ", 40), "facial recognition", strings.Repeat(" and more", 40))}},
			},
		},
		AlsoReportedBy: []string{"cdt", "ipwatch", "digwatch"},
		CreatedAt:      Day,
	}
}

// Hostile carries every terminal and chat trick a feed could try.
func Hostile() model.Alert {
	return model.Alert{
		ID:   66,
		Kind: model.AlertNew,
		Item: model.Item{
			SourceID:  "evil\x07feed",
			ID:        "x",
			Title:     "\x1b[31m<!channel> @room <script>alert(1)</script>\x1b[0m\r\nSecond\tline\u202egnp.exe\x00",
			Link:      "https://evil.example/\x1b]8;;https://phish.example\x07click\x1b]8;;\x07",
			Published: Day,
			Document: &model.DocumentRef{Number: "C22/\x1b[2J1", Languages: []string{"E\u009b2J"},
				Proposers: []string{"<!channel> *Acme* @room", "<https://evil.example|Brazil>"}},
		},
		Matches: []model.Match{{
			Topic: "new-ip", TopicName: "New IP\x1b[5m", Severity: model.SeverityHigh, Score: 5,
			Annotation: "why\r\n\r\n\x1b[?1049hhidden",
			Hits:       []model.Hit{{Text: "New\x1b[0m IP"}},
			Snippets:   []model.Snippet{{Field: "content", Parts: Parts("\u009d0;title\u009cbefore\n\n", "New IP", "\x1bcafter @here")}},
		}},
		AlsoReportedBy: []string{"\x1b[1mbold", "<@U123>"},
		CreatedAt:      Day,
	}
}

// Summary is a summary of 980 alerts held back from one poll.
func Summary() model.Alert {
	return model.Alert{
		ID:        1021,
		Kind:      model.AlertSummary,
		Item:      model.Item{SourceID: "flood-wire"},
		Held:      &model.HeldAlerts{Source: "flood-wire", Destination: "slack:#itu-alerts", Count: 980, Limit: 20, Topics: []string{"new-ip", "wsis"}},
		CreatedAt: Day,
	}
}

// TerminalSafe says what in s could drive a terminal: invalid UTF-8, a
// control character other than a line break, a bidirectional override or
// a byte order mark. It is written apart from render.Clean, to check it.
func TerminalSafe(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("invalid UTF-8 in %q", s)
	}
	for _, r := range s {
		bidi := r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
		if r != '\n' && (unicode.IsControl(r) || bidi || r == 0xfeff) {
			return fmt.Errorf("control character %U left in %q", r, s)
		}
	}
	return nil
}

// AssertTerminalSafe fails t when TerminalSafe finds something in s.
func AssertTerminalSafe(t testing.TB, s string) {
	t.Helper()
	if err := TerminalSafe(s); err != nil {
		t.Error(err)
	}
}

// T0 is the tests' usual "now".
var T0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// Clock is a settable time source.
type Clock struct {
	mu sync.Mutex
	T  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.T
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.T = c.T.Add(d)
	c.mu.Unlock()
}

// QuietLogger discards what it is given.
func QuietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Digest is the first of two pages of a daily digest: two topics, an ITU
// document revised twice in the period, a story also reported elsewhere,
// and matches muted at the destination.
func Digest() model.Alert {
	zurich, _ := time.LoadLocation("Europe/Zurich")
	end := time.Date(2026, 12, 7, 9, 0, 0, 0, zurich)
	return model.Alert{
		ID:   2001,
		Kind: model.AlertDigest,
		Item: model.Item{SourceID: "itu-council", Title: "Digest"},
		Digest: &model.Digest{
			Destination: "slack:#itu-digest", Schedule: "daily", Timezone: "Europe/Zurich",
			Start: end.AddDate(0, 0, -1).UTC(), End: end.UTC(), Page: 1, Pages: 2, Alerts: 7, Muted: 3,
			Topics: []model.DigestTopic{
				{Topic: "mandate-creep", Name: "ITU mandate expansion", Alerts: 3, Stories: []model.DigestStory{{
					AlertID: 57, Title: "Draft Resolution on the ITU's role in Internet governance", Link: "https://www.itu.int/md/S26-CL-C-0051/en",
					Source: "itu-council", Severity: model.SeverityHigh, Latest: end.Add(-2 * time.Hour).UTC(), Alerts: 3,
					Document: &model.DocumentRef{Number: "C26/51", Revision: "Rev.2", Languages: []string{"E", "F"},
						Proposers: []string{"Brazil", "Mexico", "Paraguay"}},
					Revisions: []string{"Rev.1", "Rev.2"},
				}}},
				{Topic: "new-ip", Name: "New IP", Alerts: 4, Stories: []model.DigestStory{
					{AlertID: 61, Title: "TSAG to discuss \"future networks\" proposal", Link: "https://www.itu.int/en/ITU-T/tsag/61",
						Source: "itu-news", Severity: model.SeverityMedium, Latest: end.Add(-time.Hour).UTC(), Alerts: 1, AlsoBy: []string{"Reuters", "The Register"}},
					{AlertID: 44, Title: "Study group report mentions New IP", Link: "https://www.itu.int/en/ITU-T/sg13/44",
						Source: "itu-news", Severity: model.SeverityMedium, Latest: end.Add(-20 * time.Hour).UTC(), Alerts: 1},
				}},
			},
		},
	}
}

// HostileDigest is Digest with markup, mentions and control characters
// where feeds put them: titles, links, source and outlet names.
func HostileDigest() model.Alert {
	a := Digest()
	s := &a.Digest.Topics[1].Stories[0]
	s.Title = "<!channel> @room <@U123> *bold* <script>alert(1)</script>\x1b[31m <https://evil.example|click>"
	s.Link = "javascript:alert(1)"
	s.Source = "<!here>"
	s.AlsoBy = []string{"@room", "<img src=x onerror=alert(1)>"}
	a.Digest.Topics[0].Name = "<b>*topic*</b>"
	return a
}
