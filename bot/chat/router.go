package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/didyoumean"
	"github.com/ituwatch/ituwatch/model"
)

// Queries is what the command router reads and writes; *store.Store
// satisfies it. Every call the router makes is bounded by a limit or a time.
type Queries interface {
	RecentAlerts(ctx context.Context, topic string, limit int) ([]model.Alert, error)
	Search(ctx context.Context, query string, limit int) ([]model.SearchHit, error)
	TopicCounts(ctx context.Context, since time.Time) (map[string]int, error)
	Alert(ctx context.Context, id int64) (model.Alert, error)
	SourceStates(ctx context.Context) ([]model.SourceState, error)
	Subscribe(ctx context.Context, destination, topic string) (added bool, err error)
	Unsubscribe(ctx context.Context, destination, topic string) (removed bool, err error)
	Subscriptions(ctx context.Context, destination string) ([]string, error)
	DestinationStatuses(ctx context.Context) ([]model.DestinationStatus, error)
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
	// Digests, if set, previews and describes digests (the digest
	// command); without it the command says digests are not available.
	Digests Digests
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
	digests   Digests

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
		digests:   opts.Digests,
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
		{name: "explain", args: "<alert number>", about: "why an alert matched: words, context, score, and what changed", run: (*Router).explain},
		{name: "subscribe", args: "<topic> or *", about: "send a topic's alerts to this channel", admin: true, run: (*Router).subscribe},
		{name: "unsubscribe", args: "<topic> or *", about: "stop sending a topic's alerts here", admin: true, run: (*Router).unsubscribe},
		{name: "subscriptions", about: "the topics this channel receives", run: (*Router).subscriptions},
		{name: "mute", args: "<topic|source:pattern|words> [for 7d] [reason]", about: "stop sending matching alerts here for a while (still stored and searchable)", admin: true, run: (*Router).mute},
		{name: "unmute", args: "<what was muted>", about: "end a mute now", admin: true, run: (*Router).unmute},
		{name: "mutes", about: "what this channel has muted, and until when", run: (*Router).mutesCmd},
		{name: "snooze", args: "<alert number> [for 3d | off]", about: "hold an alert's updates here, then one update sums them up", run: (*Router).snooze},
		{name: "follow", args: "<words | document number | proposer:name>", about: "your own watch, sent to you by direct message", run: (*Router).follow},
		{name: "unfollow", args: "<what you follow>", about: "stop one of your follows", run: (*Router).unfollow},
		{name: "following", about: "what you follow", run: (*Router).following},
		{name: "claim", args: "<alert number>", about: "tell the team you are on an alert; its message shows it", run: (*Router).claim},
		{name: "unclaim", args: "<alert number>", about: "let an alert you claimed go", run: (*Router).unclaim},
		{name: "done", args: "<alert number> [note]", about: "mark an alert handled, with what was done", run: (*Router).done},
		{name: "notes", args: "<alert number>", about: "the team's notes on an alert (replies in its thread starting with note:)", run: (*Router).notes},
		{name: "digest", args: "daily|weekly|off [topic…] or now", about: "this channel's alerts in one message a day (09:00) or a week (admins); now shows what the next digest holds so far", run: (*Router).digestCmd},
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
	if s := didyoumean.Closest(name, commandNames()); s != "" {
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
