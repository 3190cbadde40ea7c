package bot

import (
	"fmt"
	"strings"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// summaryReply is explain's answer for a summary's number: what it stands
// for and how to see the alerts.
func summaryReply(a model.Alert) Reply {
	w := render.Summary(a, "")
	return Reply{
		Title:  fmt.Sprintf("Summary #%d: %s", a.ID, w.Headline),
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
