package chat

import (
	"fmt"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// diffLines are explain's account of what changed in an alert's text:
// more of the diff than the alert showed, each sentence whole up to
// render.MaxDiffLineRunesFull, and a note when some were left out.
func diffLines(a model.Alert) []ReplyLine {
	d := render.NewDiffView(a.Diff, render.MaxDiffLinesExplain, render.MaxDiffLineRunesFull)
	if d == nil {
		return nil
	}
	out := []ReplyLine{{Text: d.Heading(), Note: "[-deleted-] and {+inserted+} words mark what was reworded"}}
	for _, l := range d.Lines {
		out = append(out, ReplyLine{Text: render.DiffKindWord(l.Kind), Quote: render.DiffHighlight(l)})
	}
	if d.More > 0 {
		out = append(out, ReplyLine{Text: fmt.Sprintf("+%s not shown", words.Plural(d.More, "more changed sentence")),
			Note: "only the first changes of a long text are kept; the item's link has the whole text"})
	}
	return out
}
