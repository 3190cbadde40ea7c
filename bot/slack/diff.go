package slack

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// diffSection is what changed in the alert's text: a heading, then one
// line per sentence, added ones after ➕, removed ones after ➖ and struck
// through, reworded ones with the inserted words in bold and the deleted
// ones struck through; the words that matched a topic in bold. Everything
// in it came from a feed and is escaped like a quotation.
func diffSection(v render.AlertView) *slack.SectionBlock {
	d := v.Diff
	m := newMrkdwn(maxSectionText)
	m.bold(d.Heading())
	for _, l := range d.Lines {
		if !m.markup("\n"+diffEmoji[l.Kind]+" ", 0) {
			break
		}
		m.diffLine(l)
	}
	if more := d.MoreLine(slashCommand+" ", v.ID); more != "" && m.markup("\n", 0) {
		m.text(more, 0)
	}
	return section(m)
}

var diffEmoji = map[model.DiffLineKind]string{
	model.DiffAdded:   ":heavy_plus_sign:",
	model.DiffRemoved: ":heavy_minus_sign:",
	model.DiffChanged: ":pencil2:",
}

// diffLine writes one sentence. A run of inserted words is bold and a run
// of deleted ones struck through as a whole: mrkdwn cannot nest the two,
// and a hit inside an insertion is bold already.
func (m *mrkdwn) diffLine(l render.DiffLineView) {
	parts := l.Parts
	for i := 0; i < len(parts); {
		j := i + 1
		for j < len(parts) && parts[j].Op == parts[i].Op {
			j++
		}
		run := parts[i:j]
		switch {
		case l.Kind == model.DiffRemoved:
			m.wrap(joinParts(run), "~")
		case run[0].Op == model.DiffIns:
			m.bold(joinParts(run))
		case run[0].Op == model.DiffDel:
			m.wrap(joinParts(run), "~")
		default:
			for _, p := range run {
				if p.Hit {
					m.bold(p.Text)
				} else {
					m.text(p.Text, 0)
				}
			}
		}
		i = j
	}
}

func joinParts(ps []model.DiffPart) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Text)
	}
	return b.String()
}

// wrap writes s between two marks ("~" strikes through), as bold writes
// it between asterisks: spaces outside, the text inert inside.
func (m *mrkdwn) wrap(s, mark string) {
	t := strings.TrimSpace(s)
	if t == "" {
		m.text(s, 0)
		return
	}
	lead := s[:strings.Index(s, t)]
	trail := s[len(lead)+len(t):]
	m.text(lead, 0)
	if !m.markup(mark, 2) {
		return
	}
	m.write(inert(t, false), 1, false)
	m.closer(mark)
	m.text(trail, 0)
}
