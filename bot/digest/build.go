// Package digest gathers the alerts a destination asked to receive together
// into one message per period: Build groups a period's alerts by topic and
// story into pages that fit every platform, and the Closer closes each
// period as it ends (internal/periods says when) through the store, so that
// each is sent exactly once. The pages are alerts of kind digest: the
// dispatcher sends them like any other.
package digest

import (
	"cmp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// Page limits. Every platform must take a page whole: Slack 50 blocks and
// 3,000 characters a section, a Matrix event well under its 64 KiB (we keep
// under 32 KiB). A story is at most a title of render.MaxTitleRunes and a
// link of render.MaxURLRunes; its weight is what it can cost in the largest
// rendering (HTML, every character escaped to an entity, plus the plain
// body), so a page of weights under pageWeight always fits.
const (
	MaxStoriesPerPage = 20
	pageWeight        = 24 << 10
	storyOverhead     = 400 // source, document, counts, markup
	topicWeight       = 300
)

// Build lays out the entries of one period as the pages of a digest for
// plan's destination: stories grouped under their first topic, topics with
// the most severe and most alerts first, the newest story first within a
// topic. It returns the pages (no ids yet) and the ids of the alerts they
// list, which the period takes; no entries, no pages.
func Build(plan model.DigestPlan, start, end time.Time, entries []model.DigestEntry, muted int) ([]model.Alert, []int64) {
	if len(entries) == 0 {
		return nil, nil
	}
	type topicAcc struct {
		topic   model.DigestTopic
		sev     model.Severity
		stories map[int64]*model.DigestStory
	}
	topics := map[string]*topicAcc{}
	// A story is filed under the topic of its first alert in the period,
	// so its updates do not scatter it across topics.
	storyTopic := map[int64]string{}
	ids := make([]int64, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		ids = append(ids, e.AlertID)
		root := e.ParentID
		if root == 0 {
			root = e.AlertID
		}
		key, ok := storyTopic[root]
		if !ok {
			key = primaryTopic(e.Matches)
			storyTopic[root] = key
		}
		t := topics[key]
		if t == nil {
			t = &topicAcc{topic: model.DigestTopic{Topic: key}, stories: map[int64]*model.DigestStory{}}
			for _, m := range e.Matches {
				if m.Topic == key {
					t.topic.Name = m.TopicName
				}
			}
			topics[key] = t
		}
		t.topic.Alerts++
		sev := maxSeverity(e.Matches)
		t.sev = max(t.sev, sev)
		s := t.stories[root]
		if s == nil {
			s = &model.DigestStory{}
			t.stories[root] = s
		}
		// Entries come oldest first: each one is the story's newest so far.
		s.Alerts++
		s.AlertID = e.AlertID
		s.Title = render.Clip(e.Item.Title, render.MaxTitleRunes)
		s.Link = render.Clip(e.Item.Link, render.MaxURLRunes)
		s.Source = render.Clip(e.Item.SourceID, render.MaxShortRunes)
		s.Severity = max(s.Severity, sev)
		s.Latest = e.CreatedAt
		s.Document = e.Item.Document
		if d := e.Item.Document; d != nil && d.Revision != "" && !slices.Contains(s.Revisions, d.Revision) {
			s.Revisions = append(s.Revisions, render.Clip(d.Revision, render.MaxShortRunes))
		}
		for _, o := range e.AlsoBy {
			if o = render.Clip(o, render.MaxShortRunes); o != "" && !slices.Contains(s.AlsoBy, o) && len(s.AlsoBy) < 10 {
				s.AlsoBy = append(s.AlsoBy, o)
			}
		}
	}
	order := make([]*topicAcc, 0, len(topics))
	for _, t := range topics {
		for _, s := range t.stories {
			t.topic.Stories = append(t.topic.Stories, *s)
		}
		slices.SortFunc(t.topic.Stories, func(a, b model.DigestStory) int {
			return cmp.Or(b.Latest.Compare(a.Latest), cmp.Compare(b.AlertID, a.AlertID))
		})
		order = append(order, t)
	}
	slices.SortFunc(order, func(a, b *topicAcc) int {
		return cmp.Or(cmp.Compare(b.sev, a.sev), cmp.Compare(b.topic.Alerts, a.topic.Alerts), cmp.Compare(a.topic.Topic, b.topic.Topic))
	})

	var (
		pages  []*model.Digest
		cur    *model.Digest
		weight int
	)
	newPage := func() {
		cur = &model.Digest{}
		pages = append(pages, cur)
		weight = 0
	}
	newPage()
	for _, t := range order {
		continued := false
		for _, s := range t.topic.Stories {
			w := storyWeight(s)
			n := 0
			for _, pt := range cur.Topics {
				n += len(pt.Stories)
			}
			last := len(cur.Topics) - 1
			inTopic := last >= 0 && cur.Topics[last].Topic == t.topic.Topic
			extra := w
			if !inTopic {
				extra += topicWeight
			}
			if n > 0 && (n >= MaxStoriesPerPage || weight+extra > pageWeight) {
				newPage()
				inTopic = false
				extra = w + topicWeight
				continued = true
			}
			if !inTopic {
				dt := t.topic
				dt.Stories = nil
				dt.Continued = continued && len(pages) > 1
				cur.Topics = append(cur.Topics, dt)
				continued = false
			}
			last = len(cur.Topics) - 1
			cur.Topics[last].Stories = append(cur.Topics[last].Stories, s)
			weight += extra
		}
	}
	out := make([]model.Alert, len(pages))
	for i, p := range pages {
		p.Destination = plan.Destination
		p.Schedule = plan.Schedule
		p.Timezone = plan.Timezone
		p.Start = start
		p.End = end
		p.Page = i + 1
		p.Pages = len(pages)
		p.Alerts = len(entries)
		p.Muted = muted
		first := p.Topics[0].Stories[0]
		out[i] = model.Alert{
			Kind:   model.AlertDigest,
			Item:   model.Item{SourceID: first.Source, Title: "Digest"},
			Digest: p,
		}
	}
	return out, ids
}

// storyWeight is what a story can cost on the largest platform: every
// character of title and link escaped to an entity of up to 6 bytes in the
// HTML, and once more in the plain body.
func storyWeight(s model.DigestStory) int {
	w := storyOverhead + 7*(len(s.Title)+len(s.Link)+len(s.Source))
	for _, r := range s.Revisions {
		w += 7 * len(r)
	}
	for _, o := range s.AlsoBy {
		w += 7 * len(o)
	}
	if s.Document != nil {
		w += 7 * utf8.RuneCountInString(render.DocLabel(s.Document)) * 4
		w += 7 * len(render.ProposedBy(render.ProposerList(s.Document.Proposers)))
	}
	return w
}

// primaryTopic is the topic of the most severe match, the first on a tie.
func primaryTopic(ms []model.Match) string {
	best := -1
	for i, m := range ms {
		if best < 0 || m.Severity > ms[best].Severity {
			best = i
		}
	}
	if best < 0 {
		return "other"
	}
	return ms[best].Topic
}

func maxSeverity(ms []model.Match) model.Severity {
	var s model.Severity
	for _, m := range ms {
		s = max(s, m.Severity)
	}
	return s
}
