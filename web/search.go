package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// searchLimit is how many results a search shows. With filters the store
// is asked for its filterPool best matches and the filters pick among
// those, since the store's search is the chat command's, which takes no
// filters. 200 keeps a filtered search's p99 near 72 ms at a million items
// (BENCHMARKS §13); all 500 that the store ranks cost 96 ms, most of it
// in the snippets of hits the filters then drop.
const (
	searchLimit = 50
	filterPool  = 200
)

type searchView struct {
	Q, Topic, Source, Proposer, From, To string
	Topics                               []option
	Sources                              []option
	Searched                             bool
	Heading                              string
	Results                              []searchResult
	Coverage                             string
	Filtered                             string
}

type option struct {
	Value, Label string
	Selected     bool
}

type searchResult struct {
	Title, Link, Meta, Topics, AlertLabel string
	External                              bool
	Quote                                 render.Highlight
}

func (h *handler) searchPage(r *http.Request) (pageData, error) {
	q := r.URL.Query()
	v := searchView{
		Q:        strings.TrimSpace(q.Get("q")),
		Topic:    strings.TrimSpace(q.Get("topic")),
		Source:   strings.TrimSpace(q.Get("source")),
		Proposer: strings.TrimSpace(q.Get("proposer")),
		From:     strings.TrimSpace(q.Get("from")),
		To:       strings.TrimSpace(q.Get("to")),
	}
	if len([]rune(v.Q)) > 200 {
		return pageData{}, badRequest{"The search is too long; use at most 200 characters."}
	}
	for _, id := range h.topicIDs {
		v.Topics = append(v.Topics, option{Value: id, Label: h.topicName(id), Selected: id == v.Topic})
	}
	for _, s := range h.o.Sources {
		v.Sources = append(v.Sources, option{Value: s.ID, Label: s.Name, Selected: s.ID == v.Source})
	}
	var from, to time.Time
	var err error
	if v.From != "" {
		if from, err = time.Parse(time.DateOnly, v.From); err != nil {
			return pageData{}, badRequest{fmt.Sprintf("%q is not a date; write dates as YYYY-MM-DD, e.g. 2026-11-02.", render.Cut(v.From, 20))}
		}
	}
	if v.To != "" {
		if to, err = time.Parse(time.DateOnly, v.To); err != nil {
			return pageData{}, badRequest{fmt.Sprintf("%q is not a date; write dates as YYYY-MM-DD, e.g. 2026-11-30.", render.Cut(v.To, 20))}
		}
		to = to.AddDate(0, 0, 1) // the whole day
	}
	page := pageData{Template: "search", Title: "Search", Nav: "search", Data: &v}
	if v.Q == "" {
		return page, nil
	}
	page.Title = "Search: " + render.Cut(v.Q, 60)
	v.Searched = true
	filtered := v.Topic != "" || v.Source != "" || v.Proposer != "" || v.From != "" || v.To != ""
	ask := searchLimit
	if filtered {
		ask = filterPool
	}
	hits, cov, err := h.o.Store.SearchCovered(r.Context(), v.Q, ask)
	if err != nil {
		return pageData{}, err
	}
	if cov.Partial {
		v.Coverage = fmt.Sprintf("Only the newest %d items were searched in time; older ones may match too: try rarer words or fewer of them.", cov.Searched)
	}
	for _, hit := range hits {
		if len(v.Results) == searchLimit {
			break
		}
		if !h.keep(hit, v, from, to) {
			continue
		}
		res := searchResult{Title: render.ItemTitle(hit.Item), Quote: render.HighlightSnippet(hit.Snippet, render.MaxQuoteRunes)}
		res.Meta = render.ItemMeta(hit.Item).Line(render.ISOMeta)
		var names []string
		for _, t := range render.CleanList(hit.Topics, 10) {
			names = append(names, h.topicName(t))
		}
		res.Topics = strings.Join(names, ", ")
		if hit.AlertID != 0 {
			res.Link = h.link("/alerts/"+strconv.FormatInt(hit.AlertID, 10), nil)
			res.AlertLabel = fmt.Sprintf("alert #%d", hit.AlertID)
		} else {
			res.Link, res.External = safeLink(hit.Item.Link), true
			res.AlertLabel = "no alert"
		}
		v.Results = append(v.Results, res)
	}
	shown := render.Cut(v.Q, 60)
	switch {
	case len(v.Results) == 0 && len(hits) > 0:
		v.Heading = fmt.Sprintf("Nothing found for %q with these filters", shown)
	case len(v.Results) == 0:
		v.Heading = fmt.Sprintf("Nothing found for %q", shown)
	default:
		v.Heading = fmt.Sprintf("%s for %q", words.Plural(len(v.Results), "result"), shown)
	}
	if filtered {
		v.Filtered = fmt.Sprintf("The filters pick among the %d best matches of the words.", filterPool)
	}
	return page, nil
}

// keep applies the search form's filters to a hit.
func (h *handler) keep(hit model.SearchHit, v searchView, from, to time.Time) bool {
	if v.Topic != "" && !slices.Contains(hit.Topics, v.Topic) {
		return false
	}
	if v.Source != "" && hit.Item.SourceID != v.Source {
		return false
	}
	if v.Proposer != "" {
		if hit.Item.Document == nil || !slices.ContainsFunc(hit.Item.Document.Proposers, func(p string) bool {
			return strings.Contains(strings.ToLower(p), strings.ToLower(v.Proposer))
		}) {
			return false
		}
	}
	t := hit.Item.When()
	if !from.IsZero() && (t.IsZero() || t.Before(from)) {
		return false
	}
	if !to.IsZero() && (t.IsZero() || !t.Before(to)) {
		return false
	}
	return true
}

type sourcesView struct {
	Summary string
	Sources []sourceRow
}

type sourceRow struct {
	Name, ID, Type, Where, Health, LastSuccess, LastPoll, NextPoll, Failures, LastError, Warning, Schedule string
	Bad                                                                                                    bool
}

func (h *handler) sourcesPage(r *http.Request) (pageData, error) {
	states, err := h.o.Store.SourceStates(r.Context())
	if err != nil {
		return pageData{}, err
	}
	byID := map[string]model.SourceState{}
	for _, s := range states {
		byID[s.SourceID] = s
	}
	counts := map[string]int{}
	v := sourcesView{}
	for _, s := range h.o.Sources {
		st, known := byID[s.ID]
		row := sourceRow{Name: render.Clip(s.Name, render.MaxShortRunes*2), ID: render.Clip(s.ID, render.MaxShortRunes),
			Type: render.Clip(s.Type, render.MaxShortRunes), Where: publicURL(s.URL), Schedule: render.Clip(s.Schedule, render.MaxShortRunes)}
		switch {
		case known && st.Retired:
			row.Health, row.Bad = "retired: the site says it is gone; remove it from the config or fix its URL", true
			counts["retired"]++
		case !known || st.LastPoll.IsZero() && st.LastSuccess.IsZero() && st.ConsecutiveFailures == 0:
			row.Health = "not polled yet"
			counts["never polled"]++
		case st.ConsecutiveFailures > 0:
			row.Health, row.Bad = "failing", true
			counts["failing"]++
		default:
			row.Health = "healthy"
			counts["healthy"]++
		}
		row.LastSuccess = when(st.LastSuccess)
		if row.LastSuccess == "" && known && !st.LastPoll.IsZero() {
			row.LastSuccess = "never"
		}
		row.LastPoll = when(st.LastPoll)
		row.NextPoll = nextPoll(s.Schedule, st)
		if st.ConsecutiveFailures > 0 {
			row.Failures = words.Plural(st.ConsecutiveFailures, "failure") + " in a row"
			row.LastError = withoutQueries(render.Clip(st.LastError, 400))
		}
		row.Warning = withoutQueries(render.Clip(st.Warning, 400))
		v.Sources = append(v.Sources, row)
	}
	v.Summary = fmt.Sprintf("%s: %d healthy, %d failing, %d retired, %d not polled yet", words.Plural(len(h.o.Sources), "source"),
		counts["healthy"], counts["failing"], counts["retired"], counts["never polled"])
	return pageData{Template: "sources", Title: "Sources", Nav: "sources", Data: v}, nil
}

// nextPoll is when the source is polled next: its schedule's next run
// after its last poll (the scheduler adds a little jitter), or later when
// it is backing off after failures. "" when it was never polled.
func nextPoll(schedule string, st model.SourceState) string {
	if st.Retired || st.LastPoll.IsZero() {
		return ""
	}
	next := st.NextPoll
	if sched, err := cron.ParseStandard(schedule); err == nil {
		if t := sched.Next(st.LastPoll.UTC()); t.After(next) {
			next = t
		}
	}
	if next.IsZero() {
		return ""
	}
	s := "about " + when(next)
	if next.Equal(st.NextPoll) && st.ConsecutiveFailures > 0 {
		s = "not before " + when(next) + " (waiting after failures)"
	}
	return s
}

// urlQuery is the query of a web address inside a message.
var urlQuery = regexp.MustCompile(`(https?://[^\s?#]+)[?#][^\s]*`)

// withoutQueries cuts the queries off the addresses an error message
// quotes: a feed's key may ride in one.
func withoutQueries(s string) string { return urlQuery.ReplaceAllString(s, "$1?…") }

// publicURL is a source's address without its query and fragment, which
// may carry a key.
func publicURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return render.Clip(u.String(), render.MaxURLRunes)
}
