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

	"github.com/ituwatch/ituwatch/bot"
	"github.com/ituwatch/ituwatch/model"
)

// Limits keep an alert readable in a chat client whatever a feed sends.
const (
	maxTitleRunes      = 200
	maxSnippetRunes    = 240
	maxAnnotationRunes = 300
	maxShortRunes      = 60
	maxURLRunes        = 500
	maxSnippetsShown   = 2
	maxAlsoReported    = 10
	maxReplyLines      = 50
	maxReplyTextRunes  = 300
)

// policy keeps only the markup Matrix clients render from
// org.matrix.custom.html, with links restricted to http and https. Every
// feed-derived string is escaped while the message is built; the policy is
// the second wall, so a mistake in building cannot become an injection.
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("a", "strong", "b", "em", "i", "code", "pre", "br", "p", "ul", "ol", "li", "blockquote", "h4")
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
func (m *message) quote(h bot.Highlight) {
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

// alertContent renders an alert: a header with the alert number, severity
// and topics; the linked title; source, date and document; each topic with
// the matched words in bold in context and why it matters; the update and
// the other outlets; and how to ask for more.
func alertContent(a model.Alert) *event.MessageEventContent {
	if a.Kind == model.AlertSummary {
		return summaryContent(a)
	}
	var m message
	kind := "New alert"
	if a.Kind == model.AlertUpdate {
		kind = "Update"
	}
	header := fmt.Sprintf("%s #%d", kind, a.ID)
	var topics []string
	for _, mt := range a.Matches {
		if t := bot.Clip(mt.Topic, maxShortRunes); t != "" {
			topics = append(topics, t)
		}
	}
	m.tag("<p>")
	m.bold(header)
	m.text(" · " + a.MaxSeverity().String())
	if len(topics) > 0 {
		m.text(" · " + strings.Join(topics, ", "))
	}
	m.tag("</p>")
	m.newline()

	title := bot.Clip(a.Item.Title, maxTitleRunes)
	if title == "" {
		title = "(untitled item)"
	}
	link := safeURL(a.Item.Link)
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

	if meta := bot.ItemMeta(a.Item, false); meta != "" {
		m.tag("<p>")
		m.text(meta)
		m.tag("</p>")
		m.newline()
	}

	if len(a.Matches) > 0 {
		m.tag("<ul>")
		for _, mt := range a.Matches {
			m.tag("<li>")
			m.plain.WriteString("• ")
			name := bot.Clip(mt.TopicName, maxShortRunes)
			topic := bot.Clip(mt.Topic, maxShortRunes)
			if name == "" {
				name = topic
			}
			m.bold(name)
			detail := []string{}
			if topic != "" && topic != name {
				detail = append(detail, topic)
			}
			detail = append(detail, mt.Severity.String(), "score "+bot.FormatScore(mt.Score))
			m.text(" (" + strings.Join(detail, " · ") + ")")
			switch {
			case len(mt.Snippets) > 0:
				for i, sn := range mt.Snippets {
					if i == maxSnippetsShown {
						m.tag("<br>")
						m.plain.WriteString("\n  ")
						m.text(fmt.Sprintf("(+%d more)", len(mt.Snippets)-maxSnippetsShown))
						break
					}
					if i == 0 {
						m.text(": ")
					} else {
						m.tag("<br>")
						m.plain.WriteString("\n  ")
					}
					m.quote(bot.HighlightSnippet(sn, maxSnippetRunes))
				}
			default:
				if terms := bot.MatchedTerms(mt); len(terms) > 0 {
					m.text(": matched ")
					for i, t := range terms {
						if i > 0 {
							m.text(", ")
						}
						m.bold(t)
					}
				}
			}
			if why := bot.Clip(mt.Annotation, maxAnnotationRunes); why != "" {
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

	if a.Kind == model.AlertUpdate {
		s := "Update"
		if a.ParentID != 0 {
			s += fmt.Sprintf(" of #%d", a.ParentID)
		}
		if ch := bot.Clip(a.Change, maxShortRunes*2); ch != "" {
			s += ": " + ch
		}
		m.tag("<p>")
		m.text(s)
		m.tag("</p>")
		m.newline()
	}
	if also := bot.AlsoReported(a.AlsoReportedBy); len(also) > 0 {
		m.tag("<p>")
		m.text("Also reported by: " + strings.Join(also, ", "))
		m.tag("</p>")
		m.newline()
	}
	m.tag("<p>")
	m.text(fmt.Sprintf("Alert #%d · details: ", a.ID))
	m.tag("<code>")
	m.text(fmt.Sprintf("!itu explain %d", a.ID))
	m.tag("</code></p>")
	return m.content()
}

// replyContent renders a command's answer; every string in it may quote feed
// text, so all of it is escaped.
func replyContent(r bot.Reply) *event.MessageEventContent {
	var m message
	title := bot.Clip(r.Title, maxReplyTextRunes)
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
			text := bot.Clip(l.Text, maxReplyTextRunes)
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
			note := bot.Clip(l.Note, maxReplyTextRunes)
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
	if f := bot.Clip(r.Footer, maxReplyTextRunes); f != "" {
		m.tag("<p><em>")
		m.text(f)
		m.tag("</em></p>")
	}
	return m.content()
}

// safeURL returns u when it is an absolute http(s) link, "" otherwise, so a
// feed cannot slip in javascript: or data: links.
func safeURL(raw string) string {
	s := bot.Clean(raw)
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
func summaryContent(a model.Alert) *event.MessageEventContent {
	w := bot.Summary(a, CommandPrefix+" ")
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
	m.text(fmt.Sprintf("Summary #%d", a.ID))
	m.tag("</p>")
	return m.content()
}
