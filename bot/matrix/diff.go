package matrix

import (
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// diff writes what changed in the alert's text: a heading, then a list of
// the sentences, added ones after "+", removed ones after "−" and struck
// through (<del>), reworded ones with the inserted words in <strong> and
// the deleted ones in <del>; the words that matched a topic in <strong>.
// The plain body marks the words as [-deleted-] and {+inserted+}, which
// reads in any client.
func (m *message) diff(v render.AlertView) {
	d := v.Diff
	m.tag("<p>")
	m.bold(d.Heading())
	m.tag("</p>")
	m.newline()
	m.tag("<ul>")
	for _, l := range d.Lines {
		m.tag("<li>")
		m.text(render.DiffSign(l.Kind) + " ")
		m.diffLine(l)
		m.tag("</li>")
		m.newline()
	}
	m.tag("</ul>")
	if more := d.MoreLine(CommandPrefix+" ", v.ID); more != "" {
		m.paragraph(more)
	}
}

// diffLine writes one sentence: HTML and plain body each in their own
// marks, the spaces at a run's ends outside them. Every part is escaped.
func (m *message) diffLine(l render.DiffLineView) {
	if l.Kind == model.DiffRemoved {
		m.tag("<del>")
	}
	render.DiffRuns(l, func(op model.DiffOp, lead string, run []model.DiffPart, trail string) {
		m.text(lead)
		switch op {
		case model.DiffIns:
			m.plain.WriteString("{+")
			m.html.WriteString("<strong>")
		case model.DiffDel:
			m.plain.WriteString("[-")
			m.html.WriteString("<del>")
		}
		for _, p := range run {
			if p.Hit && op == "" && l.Kind != model.DiffRemoved {
				m.bold(p.Text)
			} else {
				m.text(p.Text)
			}
		}
		switch op {
		case model.DiffIns:
			m.plain.WriteString("+}")
			m.html.WriteString("</strong>")
		case model.DiffDel:
			m.plain.WriteString("-]")
			m.html.WriteString("</del>")
		}
		m.text(trail)
	})
	if l.Kind == model.DiffRemoved {
		m.tag("</del>")
	}
}
