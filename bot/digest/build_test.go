package digest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

var t0 = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

func entry(id, parent int64, at time.Duration, title string, topics ...string) model.DigestEntry {
	e := model.DigestEntry{AlertID: id, ParentID: parent, CreatedAt: t0.Add(at),
		Item: model.Item{SourceID: "itu-news", ID: fmt.Sprint(id), Title: title, Link: fmt.Sprintf("https://www.itu.int/n/%d", id)}}
	for i, tp := range topics {
		e.Matches = append(e.Matches, model.Match{Topic: tp, TopicName: strings.ToUpper(tp), Severity: model.SeverityMedium + model.Severity(i)})
	}
	return e
}

func TestBuildGroupsByTopicThenStoryNewestFirst(t *testing.T) {
	doc := func(e model.DigestEntry, rev string) model.DigestEntry {
		e.Item.Document = &model.DocumentRef{Number: "C26/51", Revision: rev, Languages: []string{"E"}}
		return e
	}
	entries := []model.DigestEntry{
		entry(1, 0, 0, "New IP at TSAG", "new-ip"),
		doc(entry(2, 0, time.Minute, "Council document", "council"), ""),
		entry(3, 0, 2*time.Minute, "Another New IP story", "new-ip"),
		doc(entry(4, 2, 3*time.Minute, "Council document, revised", "council"), "Rev.1"),
		doc(entry(5, 2, 4*time.Minute, "Council document, revised again", "council"), "Rev.2"),
		entry(6, 0, 5*time.Minute, "Both topics, filed under the more severe", "new-ip", "council"),
	}
	pages, ids := Build(model.DigestPlan{Destination: "slack:#d", Schedule: "daily", Timezone: "Europe/Zurich"}, time.Time{}, t0.Add(time.Hour), entries, 3)
	if len(pages) != 1 || len(ids) != 6 {
		t.Fatalf("%d pages, %d ids; want 1 page taking all 6 alerts", len(pages), len(ids))
	}
	d := pages[0].Digest
	if d.Alerts != 6 || d.Muted != 3 || d.Page != 1 || d.Pages != 1 || d.Timezone != "Europe/Zurich" {
		t.Errorf("digest = %+v", d)
	}
	var got []string
	for _, tp := range d.Topics {
		var stories []string
		for _, s := range tp.Stories {
			stories = append(stories, fmt.Sprintf("%d:%d", s.AlertID, s.Alerts))
		}
		got = append(got, fmt.Sprintf("%s(%d)=%s", tp.Topic, tp.Alerts, strings.Join(stories, ",")))
	}
	// council: entry 6 matched it at high, so it is the most severe topic;
	// the council document is one story of three alerts, shown as its newest.
	want := []string{"council(4)=6:1,5:3", "new-ip(2)=3:1,1:1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("topics = %v, want %v", got, want)
	}
	s := d.Topics[0].Stories[1]
	if s.Title != "Council document, revised again" || strings.Join(s.Revisions, ",") != "Rev.1,Rev.2" || s.Document.Revision != "Rev.2" {
		t.Errorf("the document story = %+v", s)
	}
}

func TestBuildPagesWithoutDroppingAny(t *testing.T) {
	var entries []model.DigestEntry
	for i := range 137 {
		entries = append(entries, entry(int64(i+1), 0, time.Duration(i)*time.Second,
			strings.Repeat("&<", 150), fmt.Sprintf("topic-%d", i%9)))
	}
	pages, ids := Build(model.DigestPlan{Destination: "matrix:!r:x", Schedule: "weekly"}, time.Time{}, t0.Add(time.Hour), entries, 0)
	if len(ids) != 137 {
		t.Fatalf("%d ids taken, want 137", len(ids))
	}
	seen := map[int64]bool{}
	for i, p := range pages {
		d := p.Digest
		if d.Page != i+1 || d.Pages != len(pages) || d.Alerts != 137 {
			t.Errorf("page %d says page %d of %d, %d alerts", i+1, d.Page, d.Pages, d.Alerts)
		}
		n := 0
		for j, tp := range d.Topics {
			for _, s := range tp.Stories {
				if seen[s.AlertID] {
					t.Errorf("alert %d on two pages", s.AlertID)
				}
				seen[s.AlertID] = true
				n++
			}
			if j == 0 && i > 0 && pages[i-1].Digest.Topics[len(pages[i-1].Digest.Topics)-1].Topic == tp.Topic && !tp.Continued {
				t.Errorf("page %d continues %s without saying so", i+1, tp.Topic)
			}
		}
		if n == 0 || n > MaxStoriesPerPage {
			t.Errorf("page %d has %d stories", i+1, n)
		}
	}
	if len(seen) != 137 {
		t.Errorf("%d of 137 alerts shown", len(seen))
	}
	if len(pages) < 7 {
		t.Errorf("%d pages for 137 long stories; want at least 7", len(pages))
	}
}

func TestBuildEmpty(t *testing.T) {
	if pages, ids := Build(model.DigestPlan{}, time.Time{}, t0, nil, 5); pages != nil || ids != nil {
		t.Errorf("an empty period built %d pages", len(pages))
	}
}
