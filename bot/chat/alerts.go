package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// The commands that read alerts: recent, search and explain.

func (r *Router) recent(ctx context.Context, _ Request, args []string) Reply {
	n, topic, haveN := defaultRecent, "", false
	for _, a := range args {
		if v, err := strconv.Atoi(a); err == nil && !haveN {
			if v < 1 {
				return usageError("recent shows 1 to 20 alerts; give a number in that range.", "recent new-ip 10")
			}
			n, haveN = v, true
			continue
		}
		if topic != "" {
			return usageError("recent takes one topic and a number.", "recent new-ip 10")
		}
		t, reply, ok := r.topicArg(a, true)
		if !ok {
			return reply
		}
		topic = t
	}
	capped := n > maxRecent
	if capped {
		n = maxRecent
	}
	alerts, err := r.q.RecentAlerts(ctx, topic, n)
	if err != nil {
		return r.failed(ctx, "recent", err)
	}
	on := "all topics"
	if topic != "" {
		on = topic
	}
	if len(alerts) == 0 {
		return Reply{Title: "No alerts on " + on + " yet.", Footer: "topics shows what is watched; sources shows whether the sources work"}
	}
	if len(alerts) > n {
		alerts = alerts[:n]
	}
	reply := Reply{Title: fmt.Sprintf("Latest %d alerts on %s", len(alerts), on)}
	if len(alerts) == 1 {
		reply.Title = "Latest alert on " + on
	}
	for _, a := range alerts {
		reply.Lines = append(reply.Lines, r.alertLine(a))
	}
	r.claimNotes(ctx, alerts, reply.Lines)
	reply.Footer = "explain <number> shows why an alert matched"
	if capped {
		reply.Footer = "showing at most 20 · " + reply.Footer
	}
	return reply
}

// alertLine is one alert in a list: its title, linked, and a note with the
// number, severity, topics, source and date.
func (r *Router) alertLine(a model.Alert) ReplyLine {
	notes := []string{fmt.Sprintf("#%d", a.ID), a.MaxSeverity().String()}
	if t := render.CleanList(a.Topics(), 10); len(t) > 0 {
		notes = append(notes, strings.Join(t, ", "))
	}
	notes = append(notes, r.whereWhen(a.Item, a.CreatedAt)...)
	if a.Kind == model.AlertUpdate {
		notes = append(notes, render.UpdateLine(a))
	}
	if len(a.HeldFrom) > 0 {
		notes = append(notes, "held back by the per-poll limit")
	}
	return ReplyLine{Text: render.ItemTitle(a.Item), URL: render.Clip(a.Item.Link, render.MaxURLRunes), Note: strings.Join(notes, " · ")}
}

// whereWhen names the source (by its configured name when known), the date
// and the document.
func (r *Router) whereWhen(it model.Item, fallback time.Time) []string {
	when := it.When()
	if when.IsZero() {
		when = fallback
	}
	return render.Meta{Source: r.sourceName(it.SourceID), Date: when, Doc: render.DocLabel(it.Document)}.Parts(render.ISOMeta)
}

func (r *Router) sourceName(id string) string {
	for _, s := range r.sources {
		if s.ID == id && s.Name != "" {
			return render.Clip(s.Name, render.MaxShortRunes)
		}
	}
	return render.Clip(id, render.MaxShortRunes)
}

// coveredSearch is a store that says how much of itself a search read;
// *store.Store is one.
type coveredSearch interface {
	SearchCovered(ctx context.Context, query string, limit int) ([]model.SearchHit, model.SearchCoverage, error)
}

func (r *Router) search(ctx context.Context, _ Request, args []string) Reply {
	if len(args) == 0 {
		return usageError("search needs some words to look for.", "search New IP")
	}
	query := strings.Join(args, " ")
	var (
		hits []model.SearchHit
		cov  model.SearchCoverage
		err  error
	)
	if c, ok := r.q.(coveredSearch); ok {
		hits, cov, err = c.SearchCovered(ctx, query, searchResults)
	} else {
		hits, err = r.q.Search(ctx, query, searchResults)
	}
	if err != nil {
		return r.failed(ctx, "search", err)
	}
	shown := render.Cut(query, 60)
	// A search that ran out of time before the oldest items says so: a
	// policy lead must not read "nothing found" as "never mentioned".
	partial := ""
	if cov.Partial {
		partial = fmt.Sprintf("only the newest %d items were searched in time; older ones may match too: try rarer words or fewer of them", cov.Searched)
	}
	if len(hits) == 0 {
		footer := "search looks for all the words in titles and texts; try fewer words"
		if partial != "" {
			footer = partial
		}
		return Reply{Title: fmt.Sprintf("Nothing found for %q.", shown), Footer: footer}
	}
	if len(hits) > searchResults {
		hits = hits[:searchResults]
	}
	title := fmt.Sprintf("%s for %q", words.Plural(len(hits), "result"), shown)
	if len(hits) > 1 {
		title = "Best " + title
	}
	reply := Reply{Title: title}
	for _, h := range hits {
		var notes []string
		if h.AlertID != 0 {
			notes = append(notes, fmt.Sprintf("#%d", h.AlertID))
		} else {
			notes = append(notes, "no alert")
		}
		if t := render.CleanList(h.Topics, 10); len(t) > 0 {
			notes = append(notes, strings.Join(t, ", "))
		}
		notes = append(notes, r.whereWhen(h.Item, time.Time{})...)
		reply.Lines = append(reply.Lines, ReplyLine{Text: render.ItemTitle(h.Item), URL: render.Clip(h.Item.Link, render.MaxURLRunes), Note: strings.Join(notes, " · "), Quote: render.HighlightSnippet(h.Snippet, render.MaxQuoteRunes)})
	}
	reply.Footer = "explain <number> shows why an alert matched"
	if partial != "" {
		reply.Footer = partial + " · " + reply.Footer
	}
	return reply
}

func (r *Router) explain(ctx context.Context, _ Request, args []string) Reply {
	if len(args) != 1 {
		return usageError("explain needs one alert number.", "explain 42")
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
	if err != nil || id <= 0 {
		return usageError(fmt.Sprintf("%q is not an alert number; alert numbers look like 42 or #42.", render.Cut(args[0], 30)), "explain 42")
	}
	a, err := r.q.Alert(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return usageError(fmt.Sprintf("There is no alert #%d.", id), "recent")
	}
	if err != nil {
		return r.failed(ctx, "explain", err)
	}
	v := render.NewAlertView(a, render.ViewOptions{})
	if v.Summary != nil {
		return summaryReply(v)
	}
	kind := "new"
	if v.Kind == model.AlertUpdate {
		kind = v.UpdateLine()
	}
	reply := Reply{Title: fmt.Sprintf("Why alert #%d matched (%s)", v.ID, kind)}
	reply.Lines = append(reply.Lines, ReplyLine{Text: render.Cut(v.Title, render.MaxTitleRunes), URL: render.Cut(v.URL, render.MaxURLRunes), Note: strings.Join(r.whereWhen(a.Item, a.CreatedAt), " · ")})
	for _, m := range v.Matches {
		head := m.Topic
		if !strings.EqualFold(m.Name, m.Topic) {
			head += " — " + m.Name
		}
		note := fmt.Sprintf("%s, score %s", m.Severity, m.Score)
		if m.Salience != "" {
			note += " (" + m.Salience + ")"
		}
		if len(m.Terms) > 0 {
			note += " · matched " + render.QuoteAll(m.Terms)
		}
		reply.Lines = append(reply.Lines, ReplyLine{Text: head, Note: note})
		for i, q := range m.Quotes {
			if i == maxExplainSnips {
				reply.Lines = append(reply.Lines, ReplyLine{Text: "  +" + words.Plural(len(m.Quotes)-maxExplainSnips, "more place")})
				break
			}
			if q.Text.Plain() != "" {
				reply.Lines = append(reply.Lines, ReplyLine{Text: "in the " + q.Field, Quote: q.Text})
			}
		}
		if why := render.Clip(m.Why, render.MaxWhyRunes); why != "" {
			reply.Lines = append(reply.Lines, ReplyLine{Text: "  why it matters: " + why})
		}
	}
	if len(v.AlsoReported) > 0 {
		reply.Lines = append(reply.Lines, ReplyLine{Text: "Also reported by " + strings.Join(v.AlsoReported, ", ")})
	}
	if l, ok := heldLine(a); ok {
		reply.Lines = append(reply.Lines, l)
	}
	if l, ok := r.claimLine(ctx, id); ok {
		reply.Lines = append(reply.Lines, l)
	}
	reply.Lines = append(reply.Lines, diffLines(a)...)
	return reply
}

// summaryReply is explain's answer for a summary's number: what it stands
// for and how to see the alerts.
func summaryReply(v render.AlertView) Reply {
	w := v.Summary
	return Reply{
		Title:  fmt.Sprintf("Summary #%d: %s", v.ID, w.Headline),
		Lines:  []ReplyLine{{Text: w.Detail}},
		Footer: w.Hint,
	}
}

// heldLine tells explain where the per-poll limit kept an alert from.
func heldLine(a model.Alert) (ReplyLine, bool) {
	dests := render.CleanList(a.HeldFrom, 10)
	if len(dests) == 0 {
		return ReplyLine{}, false
	}
	return ReplyLine{
		Text: "Not posted to " + strings.Join(dests, ", "),
		Note: "its poll matched more alerts than the per-poll limit; a summary was posted instead",
	}, true
}
