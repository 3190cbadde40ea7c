package matrix

import (
	"fmt"
	"html"

	"maunium.net/go/mautrix/event"

	"github.com/ituwatch/ituwatch/bot/render"
)

// digestContent lays out a page of a digest: the title, period and count,
// then each topic as a heading over a list of its stories, each linked,
// with where it came from and how many alerts it had; and the commands
// that tell more. digest.Build keeps a page's stories under 32 KiB here.
func digestContent(id int64, v render.DigestView) *event.MessageEventContent {
	var m message
	m.tag("<p>")
	m.bold(fmt.Sprintf("%s #%d", v.Title, id))
	if v.Page != "" {
		m.text(" · " + v.Page)
	}
	m.tag("<br>")
	m.newline()
	m.text(v.Headline)
	if v.Period != "" {
		m.text(" · " + v.Period)
	}
	if v.Muted != "" {
		m.tag("<br>")
		m.newline()
		m.text(v.Muted)
	}
	m.tag("</p>")
	m.newline()
	for _, t := range v.Topics {
		m.tag("<h4>")
		m.text(t.Heading)
		m.tag("</h4><ul>")
		m.newline()
		for _, s := range t.Stories {
			m.tag("<li>")
			m.plain.WriteString("• ") // the HTML list has its own bullets
			if link := safeURL(s.URL); link != "" {
				m.tag(`<a href="` + html.EscapeString(link) + `">`)
				m.text(s.Title)
				m.tag("</a>")
				m.plain.WriteString(" " + link)
			} else {
				m.text(s.Title)
			}
			for _, extra := range []string{s.Meta, s.Counts} {
				if extra != "" {
					m.tag("<br>")
					m.newline()
					m.plain.WriteString("  ")
					m.text(extra)
				}
			}
			m.tag("</li>")
			m.newline()
		}
		m.tag("</ul>")
	}
	m.tag("<p><em>")
	m.text(v.Hint)
	m.tag("</em></p>")
	return m.content()
}
