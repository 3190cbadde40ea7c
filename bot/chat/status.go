package chat

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// The commands that say whether ituwatch works: status and sources.

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
			notes = append(notes, words.Plural(st.ConsecutiveFailures, "failure")+" in a row")
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
	reply.Title = fmt.Sprintf("%s: %s", words.Plural(len(r.sources), "source"), healthSummary(counts))
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
	reply.Lines = append(reply.Lines, ReplyLine{Text: "Sources: " + words.Plural(len(r.sources), "source"), Note: note})

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
	reply.Lines = append(reply.Lines, r.instanceLines(ctx, now)...)
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

// instanceLister is a store that several instances of ituwatch share and
// that knows them (the SQLite and Postgres stores).
type instanceLister interface {
	Instances(ctx context.Context, since time.Time) ([]model.Instance, error)
}

// instancesSeenWithin bounds status to the instances alive lately.
const instancesSeenWithin = time.Minute

// instanceLiveness is a store that knows how long an instance counts as
// alive after its last heartbeat.
type instanceLiveness interface {
	InstanceLiveFor() time.Duration
}

// instanceLines says which instances run and which of them leads:
// "2 instances: a1b2c3d4 on host1 (leader since 10:02 UTC), c3d4e5f6 on
// host2 (standby, seen 3 s ago)".
func (r *Router) instanceLines(ctx context.Context, now time.Time) []ReplyLine {
	il, ok := r.q.(instanceLister)
	if !ok {
		return nil
	}
	list, err := il.Instances(ctx, now.Add(-instancesSeenWithin))
	if err != nil {
		r.log.Warn("status: could not list instances", "error", err)
		return nil
	}
	if len(list) == 0 {
		return nil
	}
	liveFor := time.Duration(0) // 0: every listed instance counts as alive
	if lv, ok := r.q.(instanceLiveness); ok {
		liveFor = lv.InstanceLiveFor()
	}
	parts := make([]string, 0, len(list))
	leaders, silent := 0, 0
	for _, in := range list {
		p := render.Clip(in.ID, render.MaxShortRunes)
		if in.Host != "" {
			p += " on " + render.Clip(in.Host, render.MaxShortRunes)
		}
		switch {
		case liveFor > 0 && now.Sub(in.LastSeen) > liveFor:
			// Killed, or cut off from the database: its row stays a while.
			silent++
			p += fmt.Sprintf(" (silent since %s: stopped or cut off)", secondsAgo(now, in.LastSeen))
		case in.Leader:
			leaders++
			p += " (leader since " + heldSince(now, in.LeaderSince) + ")"
		default:
			p += fmt.Sprintf(" (standby, seen %s)", secondsAgo(now, in.LastSeen))
		}
		parts = append(parts, p)
	}
	text := words.Plural(len(list)-silent, "instance")
	if silent > 0 {
		text += fmt.Sprintf(" (and %d silent)", silent)
	}
	line := ReplyLine{Text: text, Note: strings.Join(parts, ", ")}
	if leaders == 0 {
		line.Note += " · none leads at the moment: polling and sending wait until one takes over (within seconds)"
	}
	return []ReplyLine{line}
}

// secondsAgo is "3 s ago" under a minute, else as ago.
func secondsAgo(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		return fmt.Sprintf("%d s ago", max(0, int(d/time.Second)))
	}
	return ago(now, t)
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
