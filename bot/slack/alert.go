package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot"
	"github.com/ituwatch/ituwatch/model"
)

const (
	maxMatchBlocks   = 8 // topics explained in full; the rest are only badged
	maxSnippets      = 3 // per topic
	maxAlsoReported  = 10
	untitledItemText = "(untitled item)"
)

var severityEmoji = map[model.Severity]string{
	model.SeverityCritical: ":rotating_light:",
	model.SeverityHigh:     ":red_circle:",
	model.SeverityMedium:   ":large_orange_circle:",
	model.SeverityLow:      ":large_yellow_circle:",
}

func emojiFor(s model.Severity) string {
	if e, ok := severityEmoji[s]; ok {
		return e
	}
	return ":white_circle:"
}

// mrkdwnText is a text object for content that may quote a feed. verbatim
// stops Slack from auto-linking channel names and bare mentions; the escaping
// done by mrkdwn stops the manual ones.
func mrkdwnText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func section(m *mrkdwn) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwnText(m.String()), nil, nil)
}

func contextLine(m *mrkdwn) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwnText(m.String()))
}

// renderAlert lays out an alert as Block Kit and a plain fallback for
// notifications. Every string that came from a feed (title, link, document
// number, snippets, change, other outlets) is escaped; the header holds only
// fixed words so no feed text ever reaches it.
func renderAlert(a model.Alert) ([]slack.Block, string) {
	if a.Kind == model.AlertSummary {
		return renderSummary(a)
	}
	sev := a.MaxSeverity()
	kind := "New alert"
	if a.Kind == model.AlertUpdate {
		kind = "Update"
	}
	headerText := cutPlain(fmt.Sprintf("%s %s · %s", emojiFor(sev), kind, capitalize(sev.String())), maxHeaderText)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, headerText, true, false)),
	}

	title := strings.TrimSpace(a.Item.Title)
	if title == "" {
		title = untitledItemText
	}
	t := newMrkdwn(maxSectionText)
	t.boldLink(a.Item.Link, title)
	if a.Kind == model.AlertUpdate && a.Change != "" {
		t.markup("\n", 0)
		t.text(a.Change, 0)
	}
	blocks = append(blocks, section(t))

	if m := itemLine(a.Item); m != nil {
		blocks = append(blocks, contextLine(m))
	}

	if len(a.Matches) > 0 {
		badges := newMrkdwn(maxSectionText)
		for i, mt := range a.Matches {
			if i > 0 {
				badges.markup("   ", 0)
			}
			badges.markup(emojiFor(mt.Severity)+" ", 0)
			badges.bold(topicName(mt))
			badges.text(" "+mt.Severity.String(), 0)
		}
		blocks = append(blocks, section(badges))
	}

	for i, mt := range a.Matches {
		if i == maxMatchBlocks {
			rest := newMrkdwn(maxContextText)
			more := fmt.Sprintf("%d more topics matched", len(a.Matches)-i)
			if len(a.Matches)-i == 1 {
				more = "1 more topic matched"
			}
			rest.text(fmt.Sprintf("%s; see alert #%d", more, a.ID), 0)
			blocks = append(blocks, contextLine(rest))
			break
		}
		blocks = append(blocks, section(matchText(mt)))
	}

	foot := newMrkdwn(maxContextText)
	foot.text(fmt.Sprintf("alert #%d", a.ID), 0)
	if a.Kind == model.AlertUpdate && a.ParentID != 0 {
		foot.text(fmt.Sprintf(" · update of #%d", a.ParentID), 0)
	}
	if len(a.AlsoReportedBy) > 0 {
		others := a.AlsoReportedBy
		more := ""
		if len(others) > maxAlsoReported {
			more = fmt.Sprintf(" and %d more", len(others)-maxAlsoReported)
			others = others[:maxAlsoReported]
		}
		foot.text(" · also reported by "+strings.Join(others, ", ")+more, 0)
	}
	blocks = append(blocks, contextLine(foot))

	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	return blocks, alertFallback(a, kind, sev)
}

// itemLine is "source · date · document number"; nil when there is nothing.
func itemLine(it model.Item) *mrkdwn {
	var parts []string
	if it.SourceID != "" {
		parts = append(parts, it.SourceID)
	}
	if w := it.When(); !w.IsZero() {
		parts = append(parts, w.UTC().Format("2 Jan 2006"))
	}
	if d := it.Document; d != nil && d.Number != "" {
		num := d.Number
		for _, extra := range []string{d.Revision, d.Addendum} {
			if extra != "" {
				num += " " + extra
			}
		}
		parts = append(parts, num)
	}
	if len(parts) == 0 {
		return nil
	}
	m := newMrkdwn(maxContextText)
	m.text(strings.Join(parts, " · "), 0)
	return m
}

// matchText is one topic: its name, the annotation from the rules, and the
// matched words in context, bold, as quotes.
func matchText(mt model.Match) *mrkdwn {
	m := newMrkdwn(maxSectionText)
	m.bold(topicName(mt))
	if ann := strings.TrimSpace(mt.Annotation); ann != "" {
		m.text(": ", 0)
		m.lines(ann, 0)
	}
	for i, sn := range mt.Snippets {
		if i == maxSnippets {
			break
		}
		if !m.markup("\n> ", 0) {
			break
		}
		m.quote(bot.Highlight(sn.Parts))
	}
	if len(mt.Snippets) == 0 && len(mt.Hits) > 0 {
		// No snippet (a title-only match): at least name the words.
		m.markup("\n", 0)
		m.text("matched: ", 0)
		seen := map[string]bool{}
		first := true
		for _, h := range mt.Hits {
			if seen[h.Text] || h.Text == "" {
				continue
			}
			seen[h.Text] = true
			if !first {
				m.text(", ", 0)
			}
			first = false
			m.bold(h.Text)
		}
	}
	return m
}

func topicName(mt model.Match) string {
	if mt.TopicName != "" {
		return mt.TopicName
	}
	return mt.Topic
}

func alertFallback(a model.Alert, kind string, sev model.Severity) string {
	title := strings.TrimSpace(a.Item.Title)
	if title == "" {
		title = untitledItemText
	}
	var topics []string
	for _, mt := range a.Matches {
		topics = append(topics, topicName(mt))
	}
	s := fmt.Sprintf("%s (%s): %s", kind, sev, title)
	if len(topics) > 0 {
		s += " [" + strings.Join(topics, ", ") + "]"
	}
	return escapeMrkdwn(cutPlain(s, maxFallback))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// slashCommand is the command docs/slack.md has the Slack app register;
// a summary's hint writes its commands with it.
const slashCommand = "/itu"

// renderSummary lays out a summary of held alerts: a header of fixed
// words, the headline, what was posted, and the commands that show the
// rest. Its words come from the config and the rule pack, and are escaped
// like feed text all the same.
func renderSummary(a model.Alert) ([]slack.Block, string) {
	w := bot.Summary(a, slashCommand+" ")
	header := cutPlain(":inbox_tray: More alerts held back", maxHeaderText)
	head := newMrkdwn(maxSectionText)
	head.bold(w.Headline)
	head.markup("\n", 0)
	head.text(w.Detail, 0)
	hint := newMrkdwn(maxContextText)
	hint.text(w.Hint, 0)
	foot := newMrkdwn(maxContextText)
	foot.text(fmt.Sprintf("summary #%d", a.ID), 0)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, header, true, false)),
		section(head),
		contextLine(hint),
		contextLine(foot),
	}
	return blocks, escapeMrkdwn(cutPlain(w.Headline, maxFallback))
}
