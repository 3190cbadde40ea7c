package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// alertListLimit is how many alerts one list page shows.
const alertListLimit = 50

type alertListView struct {
	Heading  string
	Alerts   []alertLine
	NextLink string
	Topic    string
	Week     string
}

// alertLine is an alert in a list: its title linked to its page.
type alertLine struct {
	ID       int64
	Link     string
	Title    string
	Meta     string
	Topics   string
	Severity string
	Update   string
	Quote    render.Highlight
}

func (h *handler) alertLine(a model.Alert) alertLine {
	v := render.NewAlertView(a, render.ViewOptions{})
	l := alertLine{ID: a.ID, Link: h.link("/alerts/"+strconv.FormatInt(a.ID, 10), nil)}
	if v.Summary != nil {
		l.Title = v.Summary.Headline
		return l
	}
	if v.Digest != nil {
		l.Title = "Digest"
		return l
	}
	l.Title = render.Cut(v.Title, render.MaxTitleRunes)
	l.Meta = strings.Join(append(v.Meta.Parts(render.ISOMeta), "alerted "+when(a.CreatedAt)), " · ")
	var names []string
	for _, m := range v.Matches {
		names = append(names, m.Name)
		if l.Quote == nil {
			for _, q := range m.Quotes {
				if q.Text.Plain() != "" {
					l.Quote = q.Text
					break
				}
			}
		}
	}
	l.Topics = strings.Join(names, ", ")
	l.Severity = v.Severity.String()
	if v.Kind == model.AlertUpdate {
		l.Update = v.UpdateLine()
	}
	return l
}

func (h *handler) alertListPage(r *http.Request) (pageData, error) {
	q := r.URL.Query()
	topic := strings.TrimSpace(q.Get("topic"))
	wk := strings.TrimSpace(q.Get("week"))
	var from, to time.Time
	heading := "Recent alerts"
	if topic != "" {
		heading = "Alerts on " + h.topicName(topic)
	}
	if wk != "" {
		m, ok := parseISOWeek(wk)
		if !ok {
			return pageData{}, badRequest{fmt.Sprintf("%q is not a week; weeks are written like 2026-W45 (the timeline's bars link to them).", render.Cut(wk, 20))}
		}
		from, to = m, m.AddDate(0, 0, 7)
		heading += " in the week of " + day(m)
	} else {
		to = time.Unix(0, 1<<62).UTC()
	}
	var before int64
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return pageData{}, badRequest{"before must be an alert number, as in the \"older alerts\" link."}
		}
		before = n
	}
	alerts, err := h.o.Store.PeriodAlerts(r.Context(), topic, from, to, before, alertListLimit)
	if err != nil {
		return pageData{}, err
	}
	v := alertListView{Heading: heading, Topic: topic, Week: wk}
	for _, a := range alerts {
		v.Alerts = append(v.Alerts, h.alertLine(a))
	}
	if len(alerts) == alertListLimit {
		nq := url.Values{}
		for k, vs := range q {
			if k != "before" {
				nq[k] = vs
			}
		}
		nq.Set("before", strconv.FormatInt(alerts[len(alerts)-1].ID, 10))
		v.NextLink = h.link("/alerts", nq)
	}
	return pageData{Template: "alerts", Title: heading, Nav: "timeline", Data: v}, nil
}

// alertView is the alert page.
type alertView struct {
	render.AlertView
	Link        string // the item's link, when it is a web address
	MetaLine    string
	Alerted     string
	ParentLink  string
	Diff        *diffView
	Updates     []updateView
	Notes       []noteView
	ClaimLine   string
	HeldFrom    string
	SummaryText string
	SummaryHint string
	DigestText  string
	Whys        map[string][]string // topic -> paragraphs
}

type diffView struct {
	Heading string
	Lines   []diffLine
	More    string
}

type diffLine struct {
	Kind string // added, removed, reworded
	Sign string
	Runs []diffRun
}

type diffRun struct {
	Op    string // "", ins, del
	Lead  string
	Parts []model.DiffPart
	Trail string
}

type updateView struct {
	ID      int64
	Link    string
	Line    string
	Alerted string
	Diff    *diffView
}

type noteView struct {
	By, Text, At string
}

func newDiffView(d *model.TextDiff) *diffView {
	dv := render.NewDiffView(d, render.MaxDiffLinesShown, render.MaxDiffLineRunesFull)
	if dv == nil {
		return nil
	}
	out := &diffView{Heading: dv.Heading()}
	if dv.More > 0 {
		out.More = "+" + words.Plural(dv.More, "more change") + " not shown"
	}
	for _, l := range dv.Lines {
		dl := diffLine{Kind: render.DiffKindWord(l.Kind), Sign: render.DiffSign(l.Kind)}
		render.DiffRuns(l, func(op model.DiffOp, lead string, run []model.DiffPart, trail string) {
			dl.Runs = append(dl.Runs, diffRun{Op: string(op), Lead: lead, Parts: run, Trail: trail})
		})
		out.Lines = append(out.Lines, dl)
	}
	return out
}

func (h *handler) alertPage(r *http.Request) (pageData, error) {
	raw := strings.TrimPrefix(r.PathValue("id"), "#")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return pageData{}, errNotFound
	}
	ctx := r.Context()
	a, err := h.o.Store.Alert(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return pageData{}, errNotFound
	}
	if err != nil {
		return pageData{}, err
	}
	var claim *model.AlertClaim
	if c, ok, err := h.o.Store.AlertClaim(ctx, id); err != nil {
		return pageData{}, err
	} else if ok {
		claim = &c
	}
	v := alertView{AlertView: render.NewAlertView(a, render.ViewOptions{Claim: claim}), Alerted: when(a.CreatedAt)}
	title := fmt.Sprintf("Alert #%d", id)
	switch {
	case v.Summary != nil:
		title = fmt.Sprintf("Summary #%d", id)
		v.SummaryText, v.SummaryHint = v.Summary.Detail, v.Summary.Hint
		return pageData{Template: "alert", Title: title, Nav: "timeline", Data: v}, nil
	case v.Digest != nil:
		title = fmt.Sprintf("Digest #%d", id)
		v.DigestText = render.DigestText(id, *v.Digest)
		return pageData{Template: "alert", Title: title, Nav: "timeline", Data: v}, nil
	}
	v.Link = safeLink(v.URL)
	v.MetaLine = v.Meta.Line(render.ISOMeta)
	if v.ParentID != 0 {
		v.ParentLink = h.link("/alerts/"+strconv.FormatInt(v.ParentID, 10), nil)
	}
	v.Diff = newDiffView(a.Diff)
	v.ClaimLine = v.Claim.Line()
	v.HeldFrom = strings.Join(render.CleanList(a.HeldFrom, 10), ", ")
	v.Whys = map[string][]string{}
	for _, m := range v.Matches {
		for _, p := range strings.Split(m.Why, "\n") {
			if p = strings.TrimSpace(p); p != "" {
				v.Whys[m.Topic] = append(v.Whys[m.Topic], p)
			}
		}
	}
	updates, err := h.o.Store.AlertUpdates(ctx, id, 50)
	if err != nil {
		return pageData{}, err
	}
	for _, u := range updates {
		v.Updates = append(v.Updates, updateView{ID: u.ID, Link: h.link("/alerts/"+strconv.FormatInt(u.ID, 10), nil),
			Line: render.UpdateLine(u), Alerted: when(u.CreatedAt), Diff: newDiffView(u.Diff)})
	}
	notes, err := h.o.Store.Notes(ctx, id, 50)
	if err != nil {
		return pageData{}, err
	}
	for _, n := range notes {
		v.Notes = append(v.Notes, noteView{By: render.Clip(n.By.Label(), render.MaxShortRunes), Text: render.Clip(n.Text, 2000), At: when(n.At)})
	}
	return pageData{Template: "alert", Title: fmt.Sprintf("%s — alert #%d", render.Cut(v.Title, 80), id), Nav: "timeline", Data: v}, nil
}
