package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/internal/words"
)

// The timeline shows the last 52 weeks (Monday to Sunday, UTC), this one
// included.
const timelineWeeks = 52

const week = 7 * 24 * time.Hour

// weekStart is the Monday 00:00 UTC of t's ISO week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	wd := (int(d.Weekday()) + 6) % 7 // Monday 0
	return d.AddDate(0, 0, -wd)
}

// isoWeek names the week starting at Monday m: "2026-W45".
func isoWeek(m time.Time) string {
	y, w := m.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// parseISOWeek is the Monday of "2026-W45".
func parseISOWeek(s string) (time.Time, bool) {
	y, w, ok := strings.Cut(s, "-W")
	if !ok {
		return time.Time{}, false
	}
	year, err1 := strconv.Atoi(y)
	wk, err2 := strconv.Atoi(w)
	if err1 != nil || err2 != nil || year < 1970 || year > 9999 || wk < 1 || wk > 53 || len(w) != 2 {
		return time.Time{}, false
	}
	// 4 January is always in week 1.
	m := weekStart(time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)).AddDate(0, 0, 7*(wk-1))
	if yy, ww := m.ISOWeek(); yy != year || ww != wk {
		return time.Time{}, false // week 53 of a year that has 52
	}
	return m, true
}

// timelineCache counts alerts per topic and week. It reads every alert of
// the window once, then on each page only the alerts made since (the
// newest alert id says whether there are any), so a page costs the same
// however many alerts the store holds.
type timelineCache struct {
	mu     sync.Mutex
	since  time.Time // the window's start when the cache was filled
	lastID int64
	counts map[string]map[int64]int // topic -> week start (unix seconds) -> alerts
}

// maxTimelineRead bounds one page of AlertTopics.
const maxTimelineRead = 10000

func (c *timelineCache) refresh(ctx context.Context, s Store, since time.Time) (map[string]map[int64]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	newest, err := s.NewestAlertID(ctx)
	if err != nil {
		return nil, err
	}
	// A window that moved a whole week past the one counted from starts
	// over, so that weeks no page shows do not pile up.
	if c.counts == nil || newest < c.lastID || since.Sub(c.since) > week {
		c.counts, c.lastID, c.since = map[string]map[int64]int{}, 0, since
	}
	for c.lastID < newest {
		rows, err := s.AlertTopics(ctx, c.lastID, c.since, maxTimelineRead)
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			c.lastID = newest
			break
		}
		// A full page may end inside an alert: leave that alert for the
		// next read, unless it is the whole page.
		if len(rows) == maxTimelineRead {
			last := rows[len(rows)-1].AlertID
			cut := len(rows)
			for cut > 0 && rows[cut-1].AlertID == last {
				cut--
			}
			if cut > 0 {
				rows = rows[:cut]
			}
		}
		var (
			cur  int64
			seen = map[string]bool{}
		)
		for _, r := range rows {
			if r.AlertID != cur {
				cur, seen = r.AlertID, map[string]bool{}
			}
			if seen[r.Topic] {
				continue
			}
			seen[r.Topic] = true
			byWeek := c.counts[r.Topic]
			if byWeek == nil {
				byWeek = map[int64]int{}
				c.counts[r.Topic] = byWeek
			}
			byWeek[weekStart(r.At).Unix()]++
		}
		c.lastID = rows[len(rows)-1].AlertID
	}
	// A copy, so the page reads it without the lock.
	out := make(map[string]map[int64]int, len(c.counts))
	for t, m := range c.counts {
		cp := make(map[int64]int, len(m))
		for k, v := range m {
			cp[k] = v
		}
		out[t] = cp
	}
	return out, nil
}

// The charts' geometry, in the SVGs' own units; they scale to the page.
// Each topic has its own small chart, its name and numbers above it in
// HTML, so that it reads on a phone; one strip on top names the meetings.
const (
	chartBarW  = 8  // a week
	chartBarsH = 36 // the bars' height at the busiest week
	chartMonth = 12 // the month names under the bars
	chartW     = timelineWeeks * chartBarW
	chartH     = chartBarsH + chartMonth + 2
	// monthLabelWeeks is how many weeks' width a month's name takes at the
	// phone's larger type (style.css): a month that starts later than that
	// before the chart's end goes unnamed.
	monthLabelWeeks = 3
	stripRow        = 11 // one line of meeting names
	stripRows       = 3
)

type timelineView struct {
	Width, Height int // a topic's chart
	StripHeight   int
	Rows          []timelineRow
	Months        []chartLabel
	Meetings      []meetingMark
	From, To      string
	Empty         bool
	AllLink       string
	MonthY        int
}

type timelineRow struct {
	Topic, Name string
	Summary     string // "12 alerts in twelve months, 3 in the last four weeks"
	Link        string
	Bars        []chartBar
}

type chartBar struct {
	X, Y, W, H int
	Label      string
	Link       string
}

type chartLabel struct {
	X    int
	Text string
}

type meetingMark struct {
	X, W       int
	LabelX     int
	LabelY     int
	AnchorEnd  bool
	Name       string
	Dates      string
	Label      string
	Configured bool
}

func (h *handler) timelinePage(r *http.Request) (pageData, error) {
	now := h.o.Now().UTC()
	first := weekStart(now).AddDate(0, 0, -7*(timelineWeeks-1))
	counts, err := h.timeline.refresh(r.Context(), h.o.Store, first)
	if err != nil {
		return pageData{}, fmt.Errorf("count alerts per topic and week: %w", err)
	}
	v := timelineView{From: day(first), To: day(now), AllLink: h.link("/alerts", nil),
		Width: chartW, Height: chartH, StripHeight: stripRow*stripRows + 4, MonthY: chartH - 2}
	type tot struct {
		id            string
		total, recent int
	}
	var topics []tot
	recentFrom := weekStart(now).AddDate(0, 0, -21).Unix()
	for id, byWeek := range counts {
		t := tot{id: id}
		for wk, n := range byWeek {
			if wk >= first.Unix() {
				t.total += n
				if wk >= recentFrom {
					t.recent += n
				}
			}
		}
		if t.total > 0 {
			topics = append(topics, t)
		}
	}
	// Most alerts first: the topics that are busy are what a reader looks for.
	slices.SortFunc(topics, func(a, b tot) int {
		if a.total != b.total {
			return b.total - a.total
		}
		return strings.Compare(a.id, b.id)
	})
	// One scale for every chart, so that their bars compare.
	maxN := 1
	for _, t := range topics {
		for wk, n := range counts[t.id] {
			if wk >= first.Unix() && n > maxN {
				maxN = n
			}
		}
	}
	v.Empty = len(topics) == 0
	for _, t := range topics {
		name := h.topicName(t.id)
		row := timelineRow{Topic: t.id, Name: name, Link: h.link("/alerts", url.Values{"topic": {t.id}}),
			Summary: fmt.Sprintf("%s in twelve months, %d in the last four weeks", words.Plural(t.total, "alert"), t.recent)}
		for k := 0; k < timelineWeeks; k++ {
			m := first.AddDate(0, 0, 7*k)
			n := counts[t.id][m.Unix()]
			if n == 0 {
				continue
			}
			bh := max(3, chartBarsH*n/maxN)
			row.Bars = append(row.Bars, chartBar{
				X: k*chartBarW + 1, W: chartBarW - 2, Y: chartBarsH - bh, H: bh,
				Label: fmt.Sprintf("%s: %s in week of %s", name, words.Plural(n, "alert"), day(m)),
				Link:  h.link("/alerts", url.Values{"topic": {t.id}, "week": {isoWeek(m)}}),
			})
		}
		v.Rows = append(v.Rows, row)
	}
	for k := 0; k < timelineWeeks; k++ {
		m := first.AddDate(0, 0, 7*k)
		if m.Day() <= 7 {
			if timelineWeeks-k < monthLabelWeeks {
				// It would run off the chart, or into the month before
				// if moved back; the bars' own labels carry their dates.
				continue
			}
			v.Months = append(v.Months, chartLabel{X: k * chartBarW, Text: m.Format("Jan")})
		}
	}
	end := first.AddDate(0, 0, 7*timelineWeeks)
	meetings, err := h.meetings(r.Context())
	if err != nil {
		return pageData{}, err
	}
	slices.SortFunc(meetings, func(a, b meeting) int { return a.Start.Compare(b.Start) })
	for _, mt := range meetings {
		if mt.End.Before(first) || !mt.Start.Before(end) {
			continue
		}
		s, e := mt.Start, mt.End.AddDate(0, 0, 1)
		if s.Before(first) {
			s = first
		}
		if e.After(end) {
			e = end
		}
		x0 := int(float64(s.Sub(first)) / float64(week) * chartBarW)
		x1 := int(float64(e.Sub(first))/float64(week)*chartBarW + 0.999)
		dates := dateRange(mt.Start, mt.End)
		how := "documents dated"
		if mt.Configured {
			how = "meeting,"
		}
		i := len(v.Meetings)
		mm := meetingMark{
			X: x0, W: max(2, x1-x0), LabelX: x0, LabelY: stripRow * (1 + i%stripRows),
			Name: mt.Name, Dates: dates, Configured: mt.Configured,
			Label: fmt.Sprintf("%s: %s %s", mt.Name, how, dates),
		}
		if x0 > chartW/2 {
			mm.AnchorEnd, mm.LabelX = true, x0+mm.W
		}
		v.Meetings = append(v.Meetings, mm)
	}
	return pageData{Template: "timeline", Title: "Timeline", Nav: "timeline", Data: v}, nil
}

// dateRange is "9–19 Jun 2026", "28 Sep – 3 Oct 2026" or "9 Jun 2026".
func dateRange(a, b time.Time) string {
	switch {
	case a.Equal(b):
		return day(a)
	case a.Year() == b.Year() && a.Month() == b.Month():
		return fmt.Sprintf("%d–%s", a.Day(), day(b))
	case a.Year() == b.Year():
		return a.Format("2 Jan") + " – " + day(b)
	}
	return day(a) + " – " + day(b)
}

// meeting is an ITU meeting to mark on the timeline.
type meeting struct {
	Name       string
	Start, End time.Time
	Configured bool // from web.meetings; else its documents' dates
}

// timelineBodies are the bodies whose meetings the timeline marks.
var timelineBodies = map[string]bool{"PP": true, "Council": true, "WTSA": true, "TSAG": true, "CWG-Internet": true}

// meetings are the configured meetings and those the documents name,
// the latter spanning their documents' publication dates. A configured
// meeting of the same name wins: its dates are the meeting's own.
func (h *handler) meetings(ctx context.Context) ([]meeting, error) {
	var out []meeting
	names := map[string]bool{}
	for _, m := range h.o.Meetings {
		out = append(out, meeting{Name: m.Name, Start: m.Start, End: m.End, Configured: true})
		names[strings.ToLower(m.Name)] = true
	}
	groups, err := h.docs.groups(ctx, h.o.Store)
	if err != nil {
		return nil, fmt.Errorf("group documents by meeting: %w", err)
	}
	for _, g := range groups {
		if !timelineBodies[g.Body] || g.First.IsZero() || names[strings.ToLower(g.Name)] {
			continue
		}
		out = append(out, meeting{Name: g.Name, Start: g.First, End: g.Last})
	}
	return out, nil
}
