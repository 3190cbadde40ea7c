package bot

import (
	"fmt"
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

// SummaryWords are the sentences of a summary of held alerts (an alert of
// kind summary), cleaned and cut, for each platform to lay out and escape in
// its own markup. They are built only from the summary's numbers and the
// ids of the config's source and the rule pack's topics, never from feed
// text; platforms escape them all the same.
type SummaryWords struct {
	Headline string // "+980 more alerts from itu-news were not posted"
	Detail   string // what happened and what was posted
	Hint     string // the chat commands that show the held alerts
	Source   string // the source id, cleaned
}

// Summary words a summary alert, writing the commands of its hint as the
// platform takes them: prefix is "" on the console, "/itu " on Slack, "!itu "
// on Matrix. An alert without Held (which the pipeline never writes) still
// reads sensibly.
func Summary(a model.Alert, prefix string) SummaryWords {
	h := model.HeldAlerts{Source: a.Item.SourceID}
	if a.Held != nil {
		h = *a.Held
	}
	src := Clip(h.Source, maxShortRunes)
	if src == "" {
		src = "a source"
	}
	w := SummaryWords{Source: src}
	verb := "were"
	if h.Count == 1 {
		verb = "was"
	}
	w.Headline = fmt.Sprintf("+%s from %s %s not posted", plural(h.Count, "more alert"), src, verb)
	if h.Limit > 0 {
		w.Detail = fmt.Sprintf("One poll of %s matched more than the %s a poll may post here: the %d most severe and newest were posted, the other %d are stored.",
			src, plural(h.Limit, "alert"), h.Limit, h.Count)
	} else {
		w.Detail = fmt.Sprintf("One poll of %s matched more alerts than a poll may post here; the other %d are stored.", src, h.Count)
	}
	var see []string
	for _, t := range cleanList(h.Topics, 3) {
		see = append(see, prefix+"recent "+t+" 20")
	}
	if len(see) == 0 {
		see = append(see, prefix+"recent 20")
	}
	w.Hint = "To see them: " + strings.Join(see, ", ") + " (the latest); " + prefix + "search <words> (any of them); " + prefix + "explain <number> (why one matched)."
	return w
}

// formatSummaryText is FormatText for a summary of held alerts.
func formatSummaryText(a model.Alert) string {
	w := Summary(a, "")
	return fmt.Sprintf("━━ HELD BACK #%d · %s\n%s\n  %s\n  %s", a.ID, w.Source, w.Headline, w.Detail, w.Hint)
}

// jsonHeld is the "held" key of a summary's JSON line; other alerts have none.
type jsonHeld struct {
	Source      string   `json:"source"`
	Destination string   `json:"destination"`
	Count       int      `json:"count"`
	Limit       int      `json:"limit"`
	Topics      []string `json:"topics"`
}

func summaryJSON(a model.Alert) *jsonHeld {
	if a.Kind != model.AlertSummary || a.Held == nil {
		return nil
	}
	j := &jsonHeld{Source: Clean(a.Held.Source), Destination: Clean(a.Held.Destination), Count: a.Held.Count, Limit: a.Held.Limit, Topics: []string{}}
	for _, t := range a.Held.Topics {
		if c := Clean(t); c != "" {
			j.Topics = append(j.Topics, c)
		}
	}
	return j
}

// summaryReply is explain's answer for a summary's number: what it stands
// for and how to see the alerts.
func summaryReply(a model.Alert) Reply {
	w := Summary(a, "")
	return Reply{
		Title:  fmt.Sprintf("Summary #%d: %s", a.ID, w.Headline),
		Lines:  []ReplyLine{{Text: w.Detail}},
		Footer: w.Hint,
	}
}

// heldLine tells explain where the per-poll limit kept an alert from.
func heldLine(a model.Alert) (ReplyLine, bool) {
	dests := cleanList(a.HeldFrom, 10)
	if len(dests) == 0 {
		return ReplyLine{}, false
	}
	return ReplyLine{
		Text: "Not posted to " + strings.Join(dests, ", "),
		Note: "its poll matched more alerts than the per-poll limit; a summary was posted instead",
	}, true
}
