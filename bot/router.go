package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/didyoumean"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// Queries is what the command router reads and writes; *store.Store
// satisfies it. Every call the router makes is bounded by a limit or a time.
type Queries interface {
	RecentAlerts(ctx context.Context, topic string, limit int) ([]model.Alert, error)
	Search(ctx context.Context, query string, limit int) ([]store.SearchHit, error)
	TopicCounts(ctx context.Context, since time.Time) (map[string]int, error)
	Alert(ctx context.Context, id int64) (model.Alert, error)
	SourceStates(ctx context.Context) ([]model.SourceState, error)
	Subscribe(ctx context.Context, destination, topic string) (added bool, err error)
	Unsubscribe(ctx context.Context, destination, topic string) (removed bool, err error)
	Subscriptions(ctx context.Context, destination string) ([]string, error)
	DestinationStatuses(ctx context.Context) ([]store.DestinationStatus, error)
}

// TopicInfo is what the router shows about a topic of the rule pack.
type TopicInfo struct {
	ID         string
	Name       string
	Severity   model.Severity
	Annotation string
}

// SourceInfo is a configured source as the router shows it.
type SourceInfo struct {
	ID       string
	Name     string
	Type     string // rss, itu-docs, page, ...
	URL      string
	Schedule string
}

// RateLimit is a per-user token bucket: Burst commands at once, then one
// every Every. Zero fields take the defaults (5, 3s); a negative Burst turns
// the limit off.
type RateLimit struct {
	Burst int
	Every time.Duration
}

// RouterOptions configure a Router.
type RouterOptions struct {
	Queries   Queries
	Topics    []TopicInfo
	Sources   []SourceInfo
	Now       func() time.Time
	Version   string
	RateLimit RateLimit
	Logger    *slog.Logger
	Timeout   time.Duration // per command; default 5s
	// Problems, if set, lists what the chat adapters found wrong that a
	// person must fix (an encrypted room the bot cannot read); status shows it.
	Problems func() []string
	// Listeners, if set, says where each chat command listener stands;
	// status shows it.
	Listeners func() []ListenerStatus
}

const (
	maxCommandRunes = 200
	defaultRecent   = 5
	maxRecent       = 20
	searchResults   = 5
	maxStatusLines  = 20
	maxExplainSnips = 3
	maxErrorRunes   = 200
	maxRateKeys     = 10000
)

// Router answers chat commands from any platform with platform-neutral
// Replies. It is safe for concurrent use.
type Router struct {
	q        Queries
	topics   []TopicInfo
	sources  []SourceInfo
	now      func() time.Time
	version  string
	log      *slog.Logger
	timeout  time.Duration
	problems func() []string

	listeners func() []ListenerStatus

	burst float64
	every time.Duration
	mu    sync.Mutex
	users map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewRouter returns a router over the given store queries, topics and sources.
func NewRouter(opts RouterOptions) *Router {
	r := &Router{
		q:        opts.Queries,
		topics:   opts.Topics,
		sources:  opts.Sources,
		now:      opts.Now,
		version:  opts.Version,
		problems: opts.Problems,
		log:      opts.Logger,
		timeout:  opts.Timeout,
		burst:    float64(opts.RateLimit.Burst),
		every:    opts.RateLimit.Every,
		users:    map[string]*bucket{},

		listeners: opts.Listeners,
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.timeout <= 0 {
		r.timeout = 5 * time.Second
	}
	if r.burst == 0 {
		r.burst = 5
	}
	if r.every <= 0 {
		r.every = 3 * time.Second
	}
	if r.version == "" {
		r.version = "dev"
	}
	return r
}

type command struct {
	name, args, about string
	admin             bool
	run               func(r *Router, ctx context.Context, req Request, args []string) Reply
}

// commands in the order help lists them; set in init because help reads it.
var commands []command

func init() {
	commands = []command{
		{name: "help", about: "this list", run: (*Router).help},
		{name: "recent", args: "[topic] [n]", about: "the latest alerts, on all topics or one (n up to 20)", run: (*Router).recent},
		{name: "search", args: "<words>", about: "items whose text contains the words", run: (*Router).search},
		{name: "topics", about: "the topics watched and how many alerts each had lately", run: (*Router).topicsCmd},
		{name: "sources", about: "the sources watched and whether they work", run: (*Router).sourcesCmd},
		{name: "status", about: "sources and alert deliveries at a glance", run: (*Router).status},
		{name: "explain", args: "<alert number>", about: "why an alert matched: words, context, score", run: (*Router).explain},
		{name: "subscribe", args: "<topic> or *", about: "send a topic's alerts to this channel", admin: true, run: (*Router).subscribe},
		{name: "unsubscribe", args: "<topic> or *", about: "stop sending a topic's alerts here", admin: true, run: (*Router).unsubscribe},
		{name: "subscriptions", about: "the topics this channel receives", run: (*Router).subscriptions},
	}
}

// Handle answers one command. It never returns an empty Reply and never
// takes longer than the router's timeout.
func (r *Router) Handle(ctx context.Context, req Request) Reply {
	// The console is the operator at their own terminal; the limit protects
	// the bot from chat users.
	if req.Platform != "console" && !r.allow(req.Platform+"\x00"+req.User) {
		return Reply{Title: "You're sending commands quickly; try again in a few seconds.", Error: true}
	}
	text := strings.TrimSpace(req.Text)
	if n := utf8.RuneCountInString(text); n > maxCommandRunes {
		return Reply{
			Title:  fmt.Sprintf("That command is too long (%d characters); commands are at most %d.", n, maxCommandRunes),
			Footer: "try: help",
			Error:  true,
		}
	}
	fields := strings.Fields(render.Clean(text))
	if len(fields) == 0 {
		return r.help(ctx, req, nil)
	}
	name := strings.ToLower(fields[0])
	for _, c := range commands {
		if c.name == name {
			ctx, cancel := context.WithTimeout(ctx, r.timeout)
			defer cancel()
			return c.run(r, ctx, req, fields[1:])
		}
	}
	reply := r.help(ctx, req, nil)
	reply.Error = true
	reply.Title = fmt.Sprintf("unknown command %q; here is what I understand:", render.Cut(fields[0], 30))
	if s := closest(name, commandNames()); s != "" {
		reply.Title = fmt.Sprintf("unknown command %q (did you mean %s?); here is what I understand:", render.Cut(fields[0], 30), s)
	}
	return reply
}

// allow takes a token from the user's bucket.
func (r *Router) allow(key string) bool {
	if r.burst < 0 {
		return true
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.users[key]
	if !ok {
		if len(r.users) >= maxRateKeys {
			r.prune(now)
		}
		b = &bucket{tokens: r.burst, at: now}
		r.users[key] = b
	}
	r.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (r *Router) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(r.burst, b.tokens+float64(el)/float64(r.every))
		b.at = now
	}
}

// prune forgets users whose bucket is full again: they lose nothing.
func (r *Router) prune(now time.Time) {
	for k, b := range r.users {
		r.refill(b, now)
		if b.tokens >= r.burst {
			delete(r.users, k)
		}
	}
}

func commandNames() []string {
	out := make([]string, len(commands))
	for i, c := range commands {
		out[i] = c.name
	}
	return out
}

func (r *Router) help(_ context.Context, _ Request, _ []string) Reply {
	reply := Reply{Title: "ituwatch commands"}
	for _, c := range commands {
		usage := c.name
		if c.args != "" {
			usage += " " + c.args
		}
		about := c.about
		if c.admin {
			about += " (admins)"
		}
		reply.Lines = append(reply.Lines, ReplyLine{Text: usage, Note: about})
	}
	reply.Footer = fmt.Sprintf("ituwatch %s · topics: %s", r.version, strings.Join(r.topicIDs(), ", "))
	return reply
}

// failed turns a store error into a reply a policy person can act on; the
// details go to the log for whoever runs the bot.
func (r *Router) failed(ctx context.Context, cmd string, err error) Reply {
	r.log.Error("command failed", "command", cmd, "error", err)
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return Reply{Title: "That took too long to answer; try again, or ask for fewer results.", Error: true}
	}
	return Reply{
		Title:  "I could not read the alert database just now; try again in a minute.",
		Footer: "If it keeps happening, whoever runs ituwatch should check its log.",
		Error:  true,
	}
}

func usageError(title, example string) Reply {
	return Reply{Title: title, Footer: "try: " + example, Error: true}
}

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

func (r *Router) search(ctx context.Context, _ Request, args []string) Reply {
	if len(args) == 0 {
		return usageError("search needs some words to look for.", "search New IP")
	}
	query := strings.Join(args, " ")
	hits, err := r.q.Search(ctx, query, searchResults)
	if err != nil {
		return r.failed(ctx, "search", err)
	}
	shown := render.Cut(query, 60)
	if len(hits) == 0 {
		return Reply{Title: fmt.Sprintf("Nothing found for %q.", shown), Footer: "search looks for all the words in titles and texts; try fewer words"}
	}
	if len(hits) > searchResults {
		hits = hits[:searchResults]
	}
	title := fmt.Sprintf("%s for %q", render.Plural(len(hits), "result"), shown)
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
	return reply
}

func (r *Router) topicsCmd(ctx context.Context, _ Request, _ []string) Reply {
	if len(r.topics) == 0 {
		return Reply{Title: "No topics are configured.", Footer: "add a rules section to the config file, e.g. rules: builtin:itu", Error: true}
	}
	now := r.now()
	week, err := r.q.TopicCounts(ctx, now.AddDate(0, 0, -7))
	if err != nil {
		return r.failed(ctx, "topics", err)
	}
	month, err := r.q.TopicCounts(ctx, now.AddDate(0, 0, -30))
	if err != nil {
		return r.failed(ctx, "topics", err)
	}
	reply := Reply{Title: render.Plural(len(r.topics), "topic") + " watched"}
	for _, t := range r.topics {
		text := render.Clip(t.ID, render.MaxShortRunes)
		if name := render.Clip(t.Name, render.MaxShortRunes*2); name != "" && !strings.EqualFold(name, t.ID) {
			text += " — " + name
		}
		note := fmt.Sprintf("%s · %s in the last 7 days, %d in 30 days", t.Severity, render.Plural(week[t.ID], "alert"), month[t.ID])
		reply.Lines = append(reply.Lines, ReplyLine{Text: text, Note: note})
	}
	reply.Footer = "recent <topic> lists a topic's alerts; subscribe <topic> sends them to this channel"
	return reply
}

// health sorts a source into one of the four states a reader cares about.
type health string

const (
	healthOK      health = "healthy"
	healthFailing health = "failing"
	healthRetired health = "retired"
	healthNever   health = "never polled"
)

func sourceHealth(st model.SourceState, known bool) health {
	switch {
	case known && st.Retired:
		return healthRetired
	case !known || st.LastPoll.IsZero() && st.LastSuccess.IsZero() && st.ConsecutiveFailures == 0:
		return healthNever
	case st.ConsecutiveFailures > 0:
		return healthFailing
	}
	return healthOK
}

func (r *Router) sourceStates(ctx context.Context) (map[string]model.SourceState, error) {
	states, err := r.q.SourceStates(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]model.SourceState, len(states))
	for _, st := range states {
		m[st.SourceID] = st
	}
	return m, nil
}

func (r *Router) sourcesCmd(ctx context.Context, _ Request, _ []string) Reply {
	if len(r.sources) == 0 {
		return Reply{Title: "No sources are configured.", Footer: "add a sources section to the config file", Error: true}
	}
	states, err := r.sourceStates(ctx)
	if err != nil {
		return r.failed(ctx, "sources", err)
	}
	now := r.now()
	counts := map[health]int{}
	warned := 0
	reply := Reply{}
	for _, s := range r.sources {
		st, known := states[s.ID]
		h := sourceHealth(st, known)
		counts[h]++
		text := render.Clip(s.Name, render.MaxShortRunes*2)
		if text == "" {
			text = render.Clip(s.ID, render.MaxShortRunes)
		} else if s.ID != "" {
			text += " (" + render.Clip(s.ID, render.MaxShortRunes) + ")"
		}
		notes := []string{string(h)}
		switch h {
		case healthRetired:
			notes = append(notes, "the site says it is gone; remove it from the config or fix its URL")
		case healthNever:
			notes = append(notes, "not polled yet")
		}
		if h != healthNever {
			if st.LastSuccess.IsZero() {
				notes = append(notes, "never succeeded")
			} else {
				notes = append(notes, "last success "+ago(now, st.LastSuccess))
			}
		}
		if st.ConsecutiveFailures > 0 {
			notes = append(notes, render.Plural(st.ConsecutiveFailures, "failure")+" in a row")
		}
		if h != healthOK && st.LastError != "" {
			notes = append(notes, "last error: "+render.Clip(st.LastError, maxErrorRunes))
		}
		if known && st.Warning != "" {
			warned++
			notes = append(notes, "warning: "+render.Clip(st.Warning, maxErrorRunes*2))
		}
		if t := render.Clip(s.Type, render.MaxShortRunes); t != "" {
			notes = append(notes, t)
		}
		reply.Lines = append(reply.Lines, ReplyLine{Text: text, URL: render.Clip(s.URL, render.MaxURLRunes), Note: strings.Join(notes, " · ")})
	}
	reply.Title = fmt.Sprintf("%s: %s", render.Plural(len(r.sources), "source"), healthSummary(counts))
	if warned > 0 {
		reply.Title += fmt.Sprintf("; %d with a warning", warned)
	}
	return reply
}

func healthSummary(c map[health]int) string {
	return fmt.Sprintf("%d healthy, %d failing, %d retired, %d never polled",
		c[healthOK], c[healthFailing], c[healthRetired], c[healthNever])
}

func (r *Router) status(ctx context.Context, _ Request, _ []string) Reply {
	states, err := r.sourceStates(ctx)
	if err != nil {
		return r.failed(ctx, "status", err)
	}
	dests, err := r.q.DestinationStatuses(ctx)
	if err != nil {
		return r.failed(ctx, "status", err)
	}
	now := r.now()
	reply := Reply{Title: "ituwatch " + r.version + " status"}

	counts := map[health]int{}
	var failing, warned []string
	for _, s := range r.sources {
		st, known := states[s.ID]
		h := sourceHealth(st, known)
		counts[h]++
		if h == healthFailing || h == healthRetired {
			failing = append(failing, render.Clip(s.ID, render.MaxShortRunes))
		}
		if known && st.Warning != "" {
			warned = append(warned, render.Clip(s.ID, render.MaxShortRunes))
		}
	}
	note := healthSummary(counts)
	if len(failing) > 0 {
		if len(failing) > 5 {
			failing = append(failing[:5], "…")
		}
		note += " · needs attention: " + strings.Join(failing, ", ")
	}
	if len(warned) > 0 {
		if len(warned) > 5 {
			warned = append(warned[:5], "…")
		}
		note += " · warnings (sources says why): " + strings.Join(warned, ", ")
	}
	reply.Lines = append(reply.Lines, ReplyLine{Text: "Sources: " + render.Plural(len(r.sources), "source"), Note: note})

	sort.Slice(dests, func(i, j int) bool { return dests[i].Destination < dests[j].Destination })
	if len(dests) == 0 {
		reply.Lines = append(reply.Lines, ReplyLine{Text: "Deliveries", Note: "no alert has been sent anywhere yet"})
	}
	for i, d := range dests {
		if i == maxStatusLines {
			reply.Lines = append(reply.Lines, ReplyLine{Text: fmt.Sprintf("+%d more destinations", len(dests)-maxStatusLines)})
			break
		}
		var notes []string
		held := !d.HeldSince.IsZero() && d.Pending > 0
		if held {
			// Everything pending waits behind the first, held delivery.
			notes = append(notes, fmt.Sprintf("%d held since %s — %s; they will be sent in order once the bot can post",
				d.Pending, heldSince(now, d.HeldSince), render.Clip(d.HeldReason, maxErrorRunes*2)))
		} else if d.Pending > 0 {
			p := fmt.Sprintf("%d pending", d.Pending)
			if !d.OldestPending.IsZero() {
				p += ", oldest " + ago(now, d.OldestPending)
			}
			notes = append(notes, p)
		} else {
			notes = append(notes, "nothing pending")
		}
		if d.Failed > 0 {
			notes = append(notes, fmt.Sprintf("%d failed", d.Failed))
		}
		if !d.LastDelivered.IsZero() {
			notes = append(notes, "last delivered "+ago(now, d.LastDelivered))
		}
		if d.LastError != "" && (d.Pending > 0 || d.Failed > 0) && !(held && d.LastError == d.HeldReason) {
			notes = append(notes, "last error: "+render.Clip(d.LastError, maxErrorRunes))
		}
		reply.Lines = append(reply.Lines, ReplyLine{Text: "Deliveries to " + render.Clip(d.Destination, render.MaxShortRunes*2), Note: strings.Join(notes, " · ")})
	}
	reply.Lines = append(reply.Lines, r.listenerLines(now)...)
	if r.problems != nil {
		for _, p := range r.problems() {
			reply.Lines = append(reply.Lines, ReplyLine{Text: "Needs attention", Note: render.Clip(p, maxErrorRunes*2)})
		}
	}
	reply.Footer = "sources shows each source; failed deliveries say what to fix in their last error"
	return reply
}

// listenerLines says, per chat listener, whether commands are answered.
func (r *Router) listenerLines(now time.Time) []ReplyLine {
	if r.listeners == nil {
		return nil
	}
	var out []ReplyLine
	for _, l := range r.listeners() {
		var note string
		switch l.State {
		case ListenerUp:
			note = "connected since " + ago(now, l.Since)
		case ListenerDown:
			note = "down since " + ago(now, l.Since) + ": " + render.Clip(l.Reason, maxErrorRunes) + " · ituwatch retries on its own; alerts are still polled and stored"
		default:
			note = "connecting since " + ago(now, l.Since)
		}
		out = append(out, ReplyLine{Text: "Chat listener " + render.Clip(l.Name, render.MaxShortRunes), Note: note})
	}
	return out
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
	if errors.Is(err, store.ErrNotFound) {
		return usageError(fmt.Sprintf("There is no alert #%d.", id), "recent")
	}
	if err != nil {
		return r.failed(ctx, "explain", err)
	}
	if a.Kind == model.AlertSummary {
		return summaryReply(a)
	}
	kind := "new"
	if a.Kind == model.AlertUpdate {
		kind = render.UpdateLine(a)
	}
	reply := Reply{Title: fmt.Sprintf("Why alert #%d matched (%s)", a.ID, kind)}
	reply.Lines = append(reply.Lines, ReplyLine{Text: render.ItemTitle(a.Item), URL: render.Clip(a.Item.Link, render.MaxURLRunes), Note: strings.Join(r.whereWhen(a.Item, a.CreatedAt), " · ")})
	for _, m := range a.Matches {
		head := render.Clip(m.Topic, render.MaxShortRunes)
		if name := render.Clip(m.TopicName, render.MaxShortRunes*2); name != "" && !strings.EqualFold(name, m.Topic) {
			head += " — " + name
		}
		note := fmt.Sprintf("%s, score %s", m.Severity, render.FormatScore(m.Score))
		if terms := render.MatchedTerms(m); len(terms) > 0 {
			note += " · matched " + render.QuoteAll(terms)
		}
		reply.Lines = append(reply.Lines, ReplyLine{Text: head, Note: note})
		for i, sn := range m.Snippets {
			if i == maxExplainSnips {
				reply.Lines = append(reply.Lines, ReplyLine{Text: "  +" + render.Plural(len(m.Snippets)-maxExplainSnips, "more place")})
				break
			}
			if q := render.HighlightSnippet(sn, render.MaxQuoteRunes); q.Plain() != "" {
				reply.Lines = append(reply.Lines, ReplyLine{Text: "in the " + render.Clip(sn.Field, 20), Quote: q})
			}
		}
		if why := render.Clip(m.Annotation, render.MaxWhyRunes); why != "" {
			reply.Lines = append(reply.Lines, ReplyLine{Text: "  why it matters: " + why})
		}
	}
	if also := render.AlsoReported(a.AlsoReportedBy); len(also) > 0 {
		reply.Lines = append(reply.Lines, ReplyLine{Text: "Also reported by " + strings.Join(also, ", ")})
	}
	if l, ok := heldLine(a); ok {
		reply.Lines = append(reply.Lines, l)
	}
	return reply
}

// destination is where alerts for the asking channel go.
func destination(req Request) (string, bool) {
	if req.Platform == "console" {
		// Console alerts have no channel: everything goes to "console".
		return "console", true
	}
	if req.Platform == "" || strings.TrimSpace(req.Channel) == "" {
		return "", false
	}
	return model.Destination{Platform: req.Platform, Target: req.Channel}.String(), true
}

// thisChannel names where the asker's subscriptions send alerts: in the
// terminal chat that is the console that "ituwatch run" prints to.
func thisChannel(req Request) string {
	if req.Platform == "console" {
		return "This console"
	}
	return "This channel"
}

func notAdmin() Reply {
	return Reply{
		Title:  "Only admins can change what this channel receives.",
		Footer: "Ask an ituwatch admin named in the config, a Slack workspace admin, or a Matrix room moderator (power level 50 or more).",
		Error:  true,
	}
}

func noChannel() Reply {
	return Reply{Title: "I can't tell which channel this is; ask in the channel itself.", Error: true}
}

func (r *Router) subscribe(ctx context.Context, req Request, args []string) Reply {
	return r.changeSubscription(ctx, req, args, true)
}

func (r *Router) unsubscribe(ctx context.Context, req Request, args []string) Reply {
	return r.changeSubscription(ctx, req, args, false)
}

func (r *Router) changeSubscription(ctx context.Context, req Request, args []string, on bool) Reply {
	verb := "unsubscribe"
	if on {
		verb = "subscribe"
	}
	if !req.CanAdmin {
		return notAdmin()
	}
	if len(args) != 1 {
		return usageError(verb+" takes one topic, or * for all topics.", verb+" new-ip")
	}
	topic, reply, ok := r.topicArg(args[0], false)
	if !ok {
		return reply
	}
	dest, ok := destination(req)
	if !ok {
		return noChannel()
	}
	what := topic + " alerts"
	if topic == "*" {
		what = "alerts on every topic"
	}
	here := thisChannel(req)
	if on {
		added, err := r.q.Subscribe(ctx, dest, topic)
		if err != nil {
			return r.failed(ctx, verb, err)
		}
		if !added {
			return Reply{Title: here + " already receives " + what + "."}
		}
		r.log.Info("subscribed", "channel", dest, "topic", topic, "user", req.User)
		return Reply{Title: here + " now receives " + what + ".", Footer: "unsubscribe " + topic + " stops them"}
	}
	removed, err := r.q.Unsubscribe(ctx, dest, topic)
	if err != nil {
		return r.failed(ctx, verb, err)
	}
	if !removed {
		return Reply{Title: here + " was not subscribed to " + what + ".", Footer: "subscriptions lists what it receives; routes in the config file are changed there"}
	}
	r.log.Info("unsubscribed", "channel", dest, "topic", topic, "user", req.User)
	return Reply{Title: here + " no longer receives " + what + ".", Footer: "routes in the config file may still send some here"}
}

func (r *Router) subscriptions(ctx context.Context, req Request, _ []string) Reply {
	dest, ok := destination(req)
	if !ok {
		return noChannel()
	}
	subs, err := r.q.Subscriptions(ctx, dest)
	if err != nil {
		return r.failed(ctx, "subscriptions", err)
	}
	if len(subs) == 0 {
		return Reply{Title: thisChannel(req) + " has no subscriptions.", Footer: "admins can subscribe <topic> or subscribe *; routes in the config file send alerts regardless"}
	}
	reply := Reply{Title: thisChannel(req) + " receives alerts on:"}
	for _, s := range subs {
		if s == "*" {
			reply.Lines = append(reply.Lines, ReplyLine{Text: "*", Note: "every topic"})
			continue
		}
		line := ReplyLine{Text: render.Clip(s, render.MaxShortRunes)}
		if t, ok := r.topicByID(s); ok {
			line.Note = render.Clip(t.Name, render.MaxShortRunes*2) + " · " + t.Severity.String()
		} else {
			line.Note = "no longer a topic of the rule pack"
		}
		reply.Lines = append(reply.Lines, line)
	}
	reply.Footer = "routes in the config file may send more"
	return reply
}

// topicArg resolves a topic the user typed. allowAll accepts "all" as no
// topic; subscriptions take "*" instead. On failure the reply says what the
// topics are.
func (r *Router) topicArg(arg string, allowAll bool) (string, Reply, bool) {
	l := strings.ToLower(arg)
	if l == "*" || l == "all" {
		if allowAll {
			return "", Reply{}, true
		}
		return "*", Reply{}, true
	}
	if t, ok := r.topicByID(arg); ok {
		return t.ID, Reply{}, true
	}
	// Forgive missing or different separators: "newip", "new_ip".
	for _, t := range r.topics {
		if squash(t.ID) == squash(arg) || squash(t.Name) == squash(arg) {
			return t.ID, Reply{}, true
		}
	}
	title := fmt.Sprintf("unknown topic %q; topics are: %s", render.Cut(arg, 30), strings.Join(r.topicIDs(), ", "))
	if len(r.topics) == 0 {
		title = fmt.Sprintf("unknown topic %q; no topics are configured", render.Cut(arg, 30))
	}
	reply := Reply{Title: title, Error: true, Footer: "try: topics"}
	if s := closest(strings.ToLower(arg), r.topicIDs()); s != "" {
		reply.Footer = "did you mean " + s + "?"
	}
	return "", reply, false
}

func (r *Router) topicByID(id string) (TopicInfo, bool) {
	for _, t := range r.topics {
		if strings.EqualFold(t.ID, id) {
			return t, true
		}
	}
	return TopicInfo{}, false
}

func (r *Router) topicIDs() []string {
	out := make([]string, len(r.topics))
	for i, t := range r.topics {
		out[i] = t.ID
	}
	return out
}

func squash(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c > 0x7f {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// closest returns the candidate nearest to s if it is near enough to be a
// typo (or s is a prefix of it), else "".
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			return c
		}
		if d := didyoumean.Distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// ago says how long ago t was, roughly: "just now", "5m ago", "3h ago", "2d ago".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// heldSince writes when a hold began: the time of day (UTC) within the
// last day, the date before that.
func heldSince(now, t time.Time) string {
	t = t.UTC()
	if now.Sub(t) < 24*time.Hour {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 15:04 UTC")
}
