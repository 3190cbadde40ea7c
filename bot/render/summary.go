package render

import (
	"fmt"
	"strings"

	"github.com/ituwatch/ituwatch/internal/words"
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
	src := Clip(h.Source, MaxShortRunes)
	if src == "" {
		src = "a source"
	}
	w := SummaryWords{Source: src}
	verb := "were"
	if h.Count == 1 {
		verb = "was"
	}
	w.Headline = fmt.Sprintf("+%s from %s %s not posted", words.Plural(h.Count, "more alert"), src, verb)
	if h.Limit > 0 {
		w.Detail = fmt.Sprintf("One poll of %s matched more than the %s a poll may post here: the %d most severe and newest were posted, the other %d are stored.",
			src, words.Plural(h.Limit, "alert"), h.Limit, h.Count)
	} else {
		w.Detail = fmt.Sprintf("One poll of %s matched more alerts than a poll may post here; the other %d are stored.", src, h.Count)
	}
	var see []string
	for _, t := range CleanList(h.Topics, 3) {
		see = append(see, prefix+"recent "+t+" 20")
	}
	if len(see) == 0 {
		see = append(see, prefix+"recent 20")
	}
	w.Hint = "To see them: " + strings.Join(see, ", ") + " (the latest); " + prefix + "search <words> (any of them); " + prefix + "explain <number> (why one matched)."
	return w
}
