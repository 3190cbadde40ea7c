package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// Documents are read from the store once (the newest maxDocuments) and then
// only those stored or revised since, through an index on the documents'
// last_seen; a page groups what is in memory.
const (
	maxDocuments   = 10000
	documentsCheck = 2 * time.Second // how stale the list may be
)

type documentCache struct {
	mu      sync.Mutex
	filled  bool
	checked time.Time
	seen    time.Time // where DocumentsSince resumes
	rowID   int64
	byRow   map[int64]model.DocumentItem
	version int // bumped when byRow changes
	grouped []*meetingGroup
	groupV  int
}

// meetingGroup is one ITU meeting's documents.
type meetingGroup struct {
	Key, Name, Body string
	First, Last     time.Time // the documents' publication dates
	Docs            []model.DocumentItem
}

func (c *documentCache) groups(ctx context.Context, s Store) ([]*meetingGroup, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refresh(ctx, s); err != nil {
		return nil, err
	}
	if c.grouped != nil && c.groupV == c.version {
		return c.grouped, nil
	}
	by := map[string]*meetingGroup{}
	for _, d := range c.byRow {
		key, name, body := meetingOf(d.Item.Document)
		g := by[key]
		if g == nil {
			g = &meetingGroup{Key: key, Name: name, Body: body}
			by[key] = g
		}
		g.Docs = append(g.Docs, d)
		if t := d.Item.When(); !t.IsZero() {
			if g.First.IsZero() || t.Before(g.First) {
				g.First = t
			}
			if t.After(g.Last) {
				g.Last = t
			}
		}
	}
	out := make([]*meetingGroup, 0, len(by))
	for _, g := range by {
		slices.SortFunc(g.Docs, compareDocs)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *meetingGroup) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	c.grouped, c.groupV = out, c.version
	return out, nil
}

func (c *documentCache) refresh(ctx context.Context, s Store) error {
	if c.filled && time.Since(c.checked) < documentsCheck {
		return nil
	}
	if !c.filled {
		docs, err := s.NewestDocuments(ctx, maxDocuments)
		if err != nil {
			return err
		}
		c.byRow = make(map[int64]model.DocumentItem, len(docs))
		for _, d := range docs {
			c.add(d)
		}
		c.filled, c.version = true, c.version+1
	} else {
		for range 10 { // bounded: at most ten pages per look
			docs, err := s.DocumentsSince(ctx, c.seen, c.rowID, maxDocuments)
			if err != nil {
				return err
			}
			for _, d := range docs {
				c.add(d)
			}
			if len(docs) > 0 {
				c.version++
			}
			if len(docs) < maxDocuments {
				break
			}
		}
	}
	c.checked = time.Now()
	return nil
}

func (c *documentCache) add(d model.DocumentItem) {
	c.byRow[d.RowID] = d
	if d.LastSeen.After(c.seen) || d.LastSeen.Equal(c.seen) && d.RowID > c.rowID {
		c.seen, c.rowID = d.LastSeen, d.RowID
	}
}

// compareDocs orders a meeting's documents by number as people count
// them (C26/2 before C26/10), then revision.
func compareDocs(a, b model.DocumentItem) int {
	da, db := a.Item.Document, b.Item.Document
	if c := strings.Compare(da.Series, db.Series); c != 0 {
		return c
	}
	na, _ := strconv.Atoi(strings.TrimPrefix(da.Seq, "INF/"))
	nb, _ := strconv.Atoi(strings.TrimPrefix(db.Seq, "INF/"))
	if c := cmp.Compare(na, nb); c != 0 {
		return c
	}
	if c := strings.Compare(da.Number, db.Number); c != 0 {
		return c
	}
	if c := strings.Compare(da.Addendum, db.Addendum); c != 0 {
		return c
	}
	if c := strings.Compare(da.Revision, db.Revision); c != 0 {
		return c
	}
	return cmp.Compare(a.RowID, b.RowID)
}

var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// meetingOf names the meeting a document was written for, from its
// number: C26/51 is Council 2026, PP26/1 the PP-26 conference,
// CWG-Internet 18/3 the working group's 18th meeting. key is for the
// page's address, body is "Council", "PP", "TSAG" …
func meetingOf(d *model.DocumentRef) (key, name, body string) {
	s, m := d.Series, d.Meeting
	switch {
	case s == "C":
		key, name, body = "C"+m, "Council 20"+m, "Council"
		if m == "" {
			name = "Council"
		}
	case strings.HasPrefix(s, "CWG-"):
		key, name, body = s+"-"+m, strings.TrimSpace(s+" "+m), s
		if s == "CWG-Internet" && m != "" {
			name = "CWG-Internet meeting " + m
		}
	case s == "PP", s == "WTSA", s == "WTDC", s == "WCIT":
		key, name, body = s+"-"+m, s+"-"+m, s
	case strings.HasPrefix(s, "TSAG"):
		key, name, body = "TSAG", "TSAG", "TSAG"
		if m != "" {
			key, name = "TSAG-"+m, "TSAG (study period 20"+m+")"
		}
	case strings.HasPrefix(s, "SG"), strings.HasPrefix(s, "FG-"):
		g, _, _ := strings.Cut(s, "-")
		if strings.HasPrefix(s, "FG-") {
			g = strings.TrimSuffix(strings.TrimSuffix(s, "-C"), "-TD")
		}
		key, name, body = g, "ITU-T "+g, g
	case s != "":
		key, name, body = s+"-"+m, strings.TrimSpace(s+" "+m), s
	default:
		key, name, body = "other", "Other documents", ""
	}
	key = strings.Trim(unsafeKey.ReplaceAllString(render.Clip(key, render.MaxShortRunes), "-"), "-")
	if key == "" {
		key = "other"
	}
	return key, render.Clip(name, render.MaxShortRunes), body
}

type documentsView struct {
	Meetings []meetingRow
	Capped   bool
	Max      int
}

type meetingRow struct {
	Name, Body, Link, Dates string
	Count                   int
}

func (h *handler) documentsPage(r *http.Request) (pageData, error) {
	groups, err := h.docs.groups(r.Context(), h.o.Store)
	if err != nil {
		return pageData{}, fmt.Errorf("group documents by meeting: %w", err)
	}
	v := documentsView{Max: maxDocuments}
	n := 0
	for _, g := range groups {
		n += len(g.Docs)
		v.Meetings = append(v.Meetings, meetingRow{Name: g.Name, Body: g.Body, Count: len(g.Docs),
			Link: h.link("/documents/"+g.Key, nil), Dates: dateRange(g.First, g.Last)})
	}
	v.Capped = n >= maxDocuments
	return pageData{Template: "documents", Title: "Documents by meeting", Nav: "documents", Data: v}, nil
}

// meetingPageSize bounds the documents one meeting page lists.
const meetingPageSize = 500

type meetingView struct {
	Name, Dates string
	Count       int
	Docs        []docRow
	From        int // the first listed, counting from 1
	PrevLink    string
	NextLink    string
}

type docRow struct {
	Number, Revision, Title, Link, LinkText, Source string
	Languages, Proposers, Topics                    string
	Date                                            string
	AlertLink                                       string
}

func (h *handler) meetingPage(r *http.Request) (pageData, error) {
	key := r.PathValue("meeting")
	groups, err := h.docs.groups(r.Context(), h.o.Store)
	if err != nil {
		return pageData{}, fmt.Errorf("group documents by meeting: %w", err)
	}
	var g *meetingGroup
	for _, x := range groups {
		if x.Key == key {
			g = x
		}
	}
	if g == nil {
		return pageData{}, errNotFound
	}
	v := meetingView{Name: g.Name, Dates: dateRange(g.First, g.Last), Count: len(g.Docs)}
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || (n-1)*meetingPageSize >= len(g.Docs) {
			return pageData{}, badRequest{fmt.Sprintf("This meeting has %d documents, listed %d a page; there is no page %q.", len(g.Docs), meetingPageSize, render.Cut(p, 10))}
		}
		page = n
	}
	lo := (page - 1) * meetingPageSize
	hi := min(len(g.Docs), lo+meetingPageSize)
	v.From = lo + 1
	if page > 1 {
		v.PrevLink = h.link("/documents/"+g.Key, url.Values{"page": {strconv.Itoa(page - 1)}})
	}
	if hi < len(g.Docs) {
		v.NextLink = h.link("/documents/"+g.Key, url.Values{"page": {strconv.Itoa(page + 1)}})
	}
	for _, d := range g.Docs[lo:hi] {
		doc := d.Item.Document
		row := docRow{
			Number:    render.Clip(itudocNumber(doc), render.MaxShortRunes),
			Revision:  render.Clip(doc.Revision, render.MaxShortRunes),
			Title:     render.ItemTitle(d.Item),
			Link:      safeLink(d.Item.Link),
			Source:    render.Clip(d.Item.SourceID, render.MaxShortRunes),
			Languages: strings.Join(render.CleanList(doc.Languages, 10), ", "),
			Proposers: strings.Join(render.ProposerList(doc.Proposers), ", "),
			Date:      day(d.Item.When()),
		}
		var names []string
		for _, t := range render.CleanList(d.Topics, 10) {
			if !slices.Contains(names, h.topicName(t)) {
				names = append(names, h.topicName(t))
			}
		}
		row.Topics = strings.Join(names, ", ")
		if d.AlertID != 0 {
			row.AlertLink = h.link("/alerts/"+strconv.FormatInt(d.AlertID, 10), url.Values{})
		}
		if doc.Restricted != "" {
			row.Title += " (restricted: text not read)"
		}
		v.Docs = append(v.Docs, row)
	}
	return pageData{Template: "meeting", Title: g.Name + " documents", Nav: "documents", Data: v}, nil
}

// itudocNumber is the document's number with its addendum, as itudoc
// writes it; the revision has its own column.
func itudocNumber(d *model.DocumentRef) string {
	return itudoc.Label(&model.DocumentRef{Number: d.Number, Addendum: d.Addendum})
}
