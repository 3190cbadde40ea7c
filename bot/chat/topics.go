package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/didyoumean"
	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// The commands about topics and where their alerts go: topics,
// subscribe, unsubscribe and subscriptions.

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
	reply := Reply{Title: words.Plural(len(r.topics), "topic") + " watched"}
	for _, t := range r.topics {
		text := render.Clip(t.ID, render.MaxShortRunes)
		if name := render.Clip(t.Name, render.MaxShortRunes*2); name != "" && !strings.EqualFold(name, t.ID) {
			text += " — " + name
		}
		note := fmt.Sprintf("%s · %s in the last 7 days, %d in 30 days", t.Severity, words.Plural(week[t.ID], "alert"), month[t.ID])
		reply.Lines = append(reply.Lines, ReplyLine{Text: text, Note: note})
	}
	reply.Footer = "recent <topic> lists a topic's alerts; subscribe <topic> sends them to this channel"
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
	if s := didyoumean.Closest(arg, r.topicIDs()); s != "" {
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
