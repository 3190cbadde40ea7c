package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// DigestView is a page of a digest (an alert of kind digest) as people are
// shown it: every string cleaned and cut, for each surface to escape and
// lay out.
type DigestView struct {
	Title    string // "Daily digest", "Weekly digest", "Digest"
	Headline string // "12 alerts on 3 topics"
	Period   string // "6 Dec 2026 09:00 – 7 Dec 2026 09:00 (Europe/Geneva)"
	Page     string // "page 2 of 3"; "" for a digest of one page
	Muted    string // "4 matches muted here were left out"; "" when none
	Topics   []DigestTopicView
	Hint     string // the commands that tell more
}

// DigestTopicView is one topic of a page.
type DigestTopicView struct {
	Heading  string // "New IP · 5 alerts", "(continued)" after it on a later page
	Severity model.Severity
	Stories  []DigestStoryView
}

// DigestStoryView is one story or document of a page.
type DigestStoryView struct {
	AlertID  int64
	Title    string // never empty
	URL      string // as given; surfaces link it only when safe
	Severity model.Severity
	Meta     string // "itu-news · 7 Dec 2026 · doc C20/51 Rev.2 [E]"
	Counts   string // "3 alerts (Rev.1, Rev.2) · also reported by Reuters"; "" for one alert
}

// periodLayout writes a period's ends as a reader expects in their zone.
const periodLayout = "2 Jan 2006 15:04"

// NewDigestView decides what a digest page shows; prefix is how the
// surface's chat commands begin ("" on the console, "/itu " on Slack,
// "!itu " on Matrix).
func NewDigestView(d model.Digest, prefix string) DigestView {
	v := DigestView{Title: "Digest"}
	switch strings.ToLower(d.Schedule) {
	case "daily":
		v.Title = "Daily digest"
	case "weekly":
		v.Title = "Weekly digest"
	}
	ntopics := len(d.Topics)
	v.Headline = words.Plural(d.Alerts, "alert")
	if d.Pages <= 1 {
		v.Headline += " on " + words.Plural(ntopics, "topic")
	}
	loc := time.UTC
	if l, err := time.LoadLocation(d.Timezone); err == nil && d.Timezone != "" {
		loc = l
	}
	zone := Clip(d.Timezone, MaxShortRunes)
	if zone == "" {
		zone = "UTC"
	}
	switch {
	case d.Start.IsZero() && d.End.IsZero():
	case d.Start.IsZero():
		v.Period = fmt.Sprintf("until %s (%s)", d.End.In(loc).Format(periodLayout), zone)
	default:
		v.Period = fmt.Sprintf("%s – %s (%s)", d.Start.In(loc).Format(periodLayout), d.End.In(loc).Format(periodLayout), zone)
	}
	if d.Pages > 1 {
		v.Page = fmt.Sprintf("page %d of %d", d.Page, d.Pages)
	}
	if d.Muted > 0 {
		v.Muted = fmt.Sprintf("%d matches muted here in this period are not listed", d.Muted)
		if d.Muted == 1 {
			v.Muted = "1 match muted here in this period is not listed"
		}
	}
	for _, t := range d.Topics {
		tv := DigestTopicView{}
		name := Clip(t.Name, MaxShortRunes)
		if name == "" {
			name = Clip(t.Topic, MaxShortRunes)
		}
		tv.Heading = name + " · " + words.Plural(t.Alerts, "alert")
		if t.Continued {
			tv.Heading += " (continued)"
		}
		for _, s := range t.Stories {
			sv := DigestStoryView{AlertID: s.AlertID, Title: Clip(s.Title, MaxTitleRunes), URL: Clean(s.Link), Severity: s.Severity}
			if sv.Title == "" {
				sv.Title = untitled
			}
			tv.Severity = max(tv.Severity, s.Severity)
			meta := Meta{Source: Clip(s.Source, MaxShortRunes), Date: s.Latest, Doc: DocLabel(s.Document)}
			if s.Document != nil {
				meta.Proposers = ProposerList(s.Document.Proposers)
			}
			sv.Meta = meta.Line(ISOMeta)
			var counts []string
			if s.Alerts > 1 {
				c := words.Plural(s.Alerts, "alert")
				if revs := CleanList(s.Revisions, 5); len(revs) > 0 {
					c += " (" + strings.Join(revs, ", ") + ")"
				}
				counts = append(counts, c)
			}
			if also := AlsoReported(s.AlsoBy); len(also) > 0 {
				counts = append(counts, "also reported by "+strings.Join(also, ", "))
			}
			counts = append(counts, fmt.Sprintf("#%d", s.AlertID))
			sv.Counts = strings.Join(counts, " · ")
			tv.Stories = append(tv.Stories, sv)
		}
		v.Topics = append(v.Topics, tv)
	}
	v.Hint = prefix + "explain <number> says why one matched; " + prefix + "digest now shows what the next digest holds so far."
	return v
}

// DigestText lays out a digest page for a terminal.
func DigestText(id int64, v DigestView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "━━ %s #%d", strings.ToUpper(v.Title), id)
	if v.Period != "" {
		b.WriteString(" · " + v.Period)
	}
	if v.Page != "" {
		b.WriteString(" · " + v.Page)
	}
	b.WriteString("\n" + v.Headline + "\n")
	if v.Muted != "" {
		b.WriteString("(" + v.Muted + ")\n")
	}
	for _, t := range v.Topics {
		b.WriteString("■ " + t.Heading + "\n")
		for _, s := range t.Stories {
			fmt.Fprintf(&b, "  • %s [%s]\n", s.Title, s.Severity)
			line := s.Meta
			if s.Counts != "" {
				if line != "" {
					line += " · "
				}
				line += s.Counts
			}
			if line != "" {
				b.WriteString("    " + line + "\n")
			}
			if u := Cut(s.URL, MaxURLRunes); u != "" {
				b.WriteString("    " + u + "\n")
			}
		}
	}
	b.WriteString(v.Hint)
	return b.String()
}

// cleanDigest is d with every string that came from a feed, the config or
// the rule pack cleaned of control characters, for the JSON line.
func cleanDigest(d model.Digest) *model.Digest {
	d.Destination, d.Schedule, d.Timezone = Clean(d.Destination), Clean(d.Schedule), Clean(d.Timezone)
	topics := make([]model.DigestTopic, len(d.Topics))
	for i, t := range d.Topics {
		t.Topic, t.Name = Clean(t.Topic), Clean(t.Name)
		stories := make([]model.DigestStory, len(t.Stories))
		for k, s := range t.Stories {
			s.Title, s.Link, s.Source = Clean(s.Title), Clean(s.Link), Clean(s.Source)
			s.Revisions = CleanList(s.Revisions, len(s.Revisions))
			s.AlsoBy = CleanList(s.AlsoBy, len(s.AlsoBy))
			if s.Document != nil {
				doc := *s.Document
				doc.Number, doc.Revision, doc.Addendum = Clean(doc.Number), Clean(doc.Revision), Clean(doc.Addendum)
				doc.Languages = CleanList(doc.Languages, len(doc.Languages))
				doc.Proposers = CleanList(doc.Proposers, len(doc.Proposers))
				s.Document = &doc
			}
			stories[k] = s
		}
		t.Stories = stories
		topics[i] = t
	}
	d.Topics = topics
	return &d
}
