package matrix

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"maunium.net/go/mautrix/event"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// Limits keep an alert readable in a chat client whatever a feed sends.
const (
	maxAnnotationRunes = 300
	maxURLRunes        = 500
	maxSnippetsShown   = 2
	maxReplyLines      = 50
	maxReplyTextRunes  = 300
)

// policy keeps only the markup Matrix clients render from
// org.matrix.custom.html, with links restricted to http and https. Every
// feed-derived string is escaped while the message is built; the policy is
// the second wall, so a mistake in building cannot become an injection.
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("a", "strong", "b", "em", "i", "code", "pre", "br", "p", "ul", "ol", "li", "blockquote", "h4", "del")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	return p
}()

// atRoom matches the words that would ping a whole room in clients that
// still read the body for mentions.
var atRoom = regexp.MustCompile(`(?i)@(room)\b`)

// defuse keeps "@room" readable but no longer a ping: a word joiner after
// the @ breaks the keyword match. m.mentions is empty on every message too;
// this covers clients that predate intentional mentions.
func defuse(s string) string { return atRoom.ReplaceAllString(s, "@\u2060$1") }

// message builds the plain body and the HTML body side by side.
type message struct {
	plain strings.Builder
	html  strings.Builder
}

func (m *message) text(s string) {
	m.plain.WriteString(s)
	m.html.WriteString(html.EscapeString(s))
}

// bold is <strong> in HTML; the plain body shows the words as they are,
// since "**" is nobody's emphasis in a plain-text client or a notification.
func (m *message) bold(s string) {
	m.plain.WriteString(s)
	m.html.WriteString("<strong>" + html.EscapeString(s) + "</strong>")
}

// quote writes a quotation in «», its hits in <strong>.
func (m *message) quote(h render.Highlight) {
	m.text("«")
	for _, p := range h.Clean() {
		if p.Hit {
			m.bold(p.Text)
		} else {
			m.text(p.Text)
		}
	}
	m.text("»")
}

func (m *message) tag(h string) { m.html.WriteString(h) }

func (m *message) newline() { m.plain.WriteByte('\n') }

func (m *message) content() *event.MessageEventContent {
	body := defuse(strings.TrimRight(m.plain.String(), "\n "))
	formatted := defuse(policy.Sanitize(m.html.String()))
	return &event.MessageEventContent{
		MsgType:       event.MsgNotice,
		Body:          body,
		Format:        event.FormatHTML,
		FormattedBody: formatted,
		Mentions:      &event.Mentions{},
	}
}

// alertContent lays out an alert's view: a header with the alert number,
// severity and topics; the linked title; source, date and document; each
// topic with the matched words in bold in context and why it matters; the
// update and the other outlets; and how to ask for more.
func alertContent(v render.AlertView) *event.MessageEventContent {
	if v.Summary != nil {
		return summaryContent(v)
	}
	if v.Digest != nil {
		return digestContent(v.ID, *v.Digest)
	}
	var m message
	kind := "New alert"
	if v.Kind == model.AlertUpdate {
		kind = "Update"
	}
	m.tag("<p>")
	if v.Kind == model.AlertNotice {
		kind = "ituwatch notice" // a mute ended: no severity
	}
	m.bold(fmt.Sprintf("%s #%d", kind, v.ID))
	if v.Kind != model.AlertNotice {
		m.text(" · " + v.Severity.String())
	}
	if len(v.Topics) > 0 {
		m.text(" · " + strings.Join(v.Topics, ", "))
	}
	m.tag("</p>")
	m.newline()

	title := render.Cut(v.Title, render.MaxTitleRunes)
	link := safeURL(v.URL)
	m.tag("<h4>")
	if link != "" {
		m.tag(`<a href="` + html.EscapeString(link) + `">`)
		m.text(title)
		m.tag("</a>")
		m.plain.WriteString("\n" + link)
	} else {
		m.text(title)
	}
	m.tag("</h4>")
	m.newline()

	if meta := v.Meta.Line(render.ISOMeta); meta != "" {
		m.paragraph(meta)
	}

	if len(v.Matches) > 0 {
		m.tag("<ul>")
		for _, mt := range v.Matches {
			m.tag("<li>")
			m.plain.WriteString("• ")
			m.bold(mt.Name)
			detail := []string{}
			if mt.Topic != "" && mt.Topic != mt.Name {
				detail = append(detail, mt.Topic)
			}
			detail = append(detail, mt.Severity.String(), "score "+mt.Score)
			m.text(" (" + strings.Join(detail, " · ") + ")")
			switch {
			case len(mt.Quotes) > 0:
				for i, q := range mt.Quotes {
					if i == maxSnippetsShown {
						m.tag("<br>")
						m.plain.WriteString("\n  ")
						m.text(fmt.Sprintf("(+%d more)", len(mt.Quotes)-maxSnippetsShown))
						break
					}
					if i == 0 {
						m.text(": ")
					} else {
						m.tag("<br>")
						m.plain.WriteString("\n  ")
					}
					m.quote(q.Text)
				}
			default:
				if len(mt.Terms) > 0 {
					m.text(": matched ")
					for i, t := range mt.Terms {
						if i > 0 {
							m.text(", ")
						}
						m.bold(t)
					}
				}
			}
			if why := render.Clip(mt.Why, maxAnnotationRunes); why != "" {
				m.tag("<br><em>")
				m.plain.WriteString("\n  ")
				m.text("Why it matters: " + why)
				m.tag("</em>")
			}
			m.tag("</li>")
			m.newline()
		}
		m.tag("</ul>")
	}

	if v.Kind == model.AlertUpdate {
		u := v.UpdateLine()
		m.paragraph(strings.ToUpper(u[:1]) + u[1:])
	}
	if v.Diff != nil {
		m.diff(v)
	}
	if len(v.AlsoReported) > 0 {
		m.paragraph("Also reported by: " + strings.Join(v.AlsoReported, ", "))
	}
	if line := claimLine(v); line != "" {
		m.paragraph(line)
	}
	if link := safeURL(v.Permalink); link != "" {
		// The address in the plain body too: notifications and plain
		// clients show no links.
		m.tag(`<p><a href="` + html.EscapeString(link) + `">`)
		m.text("Open in ituwatch")
		m.tag("</a></p>")
		m.plain.WriteString(": " + link + "\n")
	}
	m.tag("<p>")
	m.text(fmt.Sprintf("Alert #%d · details: ", v.ID))
	m.tag("<code>")
	m.text(fmt.Sprintf("%s explain %d", CommandPrefix, v.ID))
	m.tag("</code>")
	if v.Claim == nil || v.Claim.State != model.Done {
		m.text(" · react 👀 to claim it, ✅ when done")
	}
	m.tag("</p>")
	return m.content()
}

// paragraph writes s as a paragraph of its own.
func (m *message) paragraph(s string) {
	m.tag("<p>")
	m.text(s)
	m.tag("</p>")
	m.newline()
}

// replyContent renders a command's answer; every string in it may quote feed
// text, so all of it is escaped.
func replyContent(r chat.Reply) *event.MessageEventContent {
	var m message
	title := render.Clip(r.Title, maxReplyTextRunes)
	if r.Error && title != "" {
		title = "⚠ " + title
	}
	if title != "" {
		m.tag("<p>")
		m.bold(title)
		m.tag("</p>")
		m.newline()
	}
	if len(r.Lines) > 0 {
		m.tag("<ul>")
		for i, l := range r.Lines {
			if i == maxReplyLines {
				m.tag("<li>")
				m.text(fmt.Sprintf("… and %d more", len(r.Lines)-maxReplyLines))
				m.tag("</li>")
				m.newline()
				break
			}
			m.tag("<li>")
			m.plain.WriteString("• ")
			text := render.Clip(l.Text, maxReplyTextRunes)
			if u := safeURL(l.URL); u != "" {
				if text == "" {
					text = u
				}
				m.tag(`<a href="` + html.EscapeString(u) + `">`)
				m.text(text)
				m.tag("</a>")
				if text != u {
					m.plain.WriteString(" <" + u + ">")
				}
			} else {
				m.text(text)
			}
			note := render.Clip(l.Note, maxReplyTextRunes)
			quote := len(l.Quote) > 0 && strings.TrimSpace(l.Quote.Plain()) != ""
			if note != "" || quote {
				m.tag("<br><em>")
				m.plain.WriteString("\n  ")
				m.text(note)
				if note != "" && quote {
					m.text(" · ")
				}
				if quote {
					m.quote(l.Quote)
				}
				m.tag("</em>")
			}
			m.tag("</li>")
			m.newline()
		}
		m.tag("</ul>")
	}
	if f := render.Clip(r.Footer, maxReplyTextRunes); f != "" {
		m.tag("<p><em>")
		m.text(f)
		m.tag("</em></p>")
	}
	return m.content()
}

// safeURL returns u when it is an absolute http(s) link, "" otherwise, so a
// feed cannot slip in javascript: or data: links.
func safeURL(raw string) string {
	s := render.Clean(raw)
	if s == "" || utf8.RuneCountInString(s) > maxURLRunes || strings.ContainsAny(s, " <>\"") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return s
	}
	return ""
}

// summaryContent renders a summary of held alerts: the headline in bold,
// what was posted, and the !itu commands that show the rest. Its words come
// from the config and the rule pack, and are escaped like feed text all
// the same.
func summaryContent(v render.AlertView) *event.MessageEventContent {
	w := v.Summary
	var m message
	m.tag("<p>")
	m.bold(w.Headline)
	m.tag("<br>")
	m.newline()
	m.text(w.Detail)
	m.tag("</p>")
	m.newline()
	m.tag("<p><em>")
	m.text(w.Hint)
	m.tag("</em></p>")
	m.newline()
	m.tag("<p>")
	m.text(fmt.Sprintf("Summary #%d", v.ID))
	m.tag("</p>")
	return m.content()
}
