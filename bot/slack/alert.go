package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

const (
	maxMatchBlocks = 8 // topics explained in full; the rest are only badged
	maxSnippets    = 3 // per topic
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

// renderAlert lays out an alert's view as Block Kit and a plain fallback
// for notifications. Every string that came from a feed (title, link,
// document number, snippets, change, other outlets) is escaped; the header
// holds only fixed words so no feed text ever reaches it.
func renderAlert(v render.AlertView) ([]slack.Block, string) {
	if v.Summary != nil {
		return renderSummary(v)
	}
	if v.Digest != nil {
		return renderDigest(v.ID, *v.Digest)
	}
	kind := "New alert"
	if v.Kind == model.AlertUpdate {
		kind = "Update"
	}
	headerText := cutPlain(fmt.Sprintf("%s %s · %s", emojiFor(v.Severity), kind, capitalize(v.Severity.String())), maxHeaderText)
	if v.Kind == model.AlertNotice {
		headerText = ":information_source: ituwatch notice" // a mute ended: no severity
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, headerText, true, false)),
	}

	t := newMrkdwn(maxSectionText)
	t.boldLink(v.URL, v.Title)
	if v.Kind == model.AlertUpdate && v.Change != "" {
		t.markup("\n", 0)
		t.text(v.Change, 0)
	}
	blocks = append(blocks, section(t))

	if line := v.Meta.Line(slackMeta); line != "" {
		m := newMrkdwn(maxContextText)
		m.text(line, 0)
		blocks = append(blocks, contextLine(m))
	}

	if v.Diff != nil {
		blocks = append(blocks, diffSection(v))
	}

	if len(v.Matches) > 0 {
		badges := newMrkdwn(maxSectionText)
		for i, mt := range v.Matches {
			if i > 0 {
				badges.markup("   ", 0)
			}
			badges.markup(emojiFor(mt.Severity)+" ", 0)
			badges.bold(mt.Name)
			badges.text(" "+mt.Severity.String(), 0)
		}
		blocks = append(blocks, section(badges))
	}

	for i, mt := range v.Matches {
		if i == maxMatchBlocks {
			rest := newMrkdwn(maxContextText)
			rest.text(fmt.Sprintf("%s matched; see alert #%d", words.Plural(len(v.Matches)-i, "more topic"), v.ID), 0)
			blocks = append(blocks, contextLine(rest))
			break
		}
		blocks = append(blocks, section(matchText(mt)))
	}

	foot := newMrkdwn(maxContextText)
	foot.text(fmt.Sprintf("alert #%d", v.ID), 0)
	if v.Permalink != "" {
		// Early in the line, so a long list of outlets cannot cut it off.
		foot.text(" · ", 0)
		foot.link(v.Permalink, "Open in ituwatch")
	}
	if v.Kind == model.AlertUpdate && v.ParentID != 0 {
		foot.text(fmt.Sprintf(" · update of #%d", v.ParentID), 0)
	}
	if len(v.AlsoReported) > 0 {
		foot.text(" · also reported by "+strings.Join(v.AlsoReported, ", "), 0)
	}
	blocks = append(blocks, contextLine(foot))
	blocks = append(blocks, claimBlocks(v)...)

	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	return blocks, alertFallback(v, kind)
}

// slackMeta is "itu-news · 20 Nov 2026 · C20/51": Slack readers see dates
// written out, and the document needs no label next to its number.
var slackMeta = render.MetaStyle{DateLayout: "2 Jan 2006"}

// matchText is one topic: its name, why it matters, and the matched words
// in context, bold, as quotes.
func matchText(mt render.MatchView) *mrkdwn {
	m := newMrkdwn(maxSectionText)
	m.bold(mt.Name)
	if mt.Why != "" {
		m.text(": ", 0)
		if mt.Brief {
			m.text("why it matters: ", 0)
		}
		m.lines(mt.Why, 0)
	}
	for i, q := range mt.Quotes {
		if i == maxSnippets {
			break
		}
		if !m.markup("\n> ", 0) {
			break
		}
		m.quote(q.Text)
	}
	if len(mt.Quotes) == 0 && len(mt.Terms) > 0 {
		// No snippet (a title-only match): at least name the words.
		m.markup("\n", 0)
		m.text("matched: ", 0)
		for i, term := range mt.Terms {
			if i > 0 {
				m.text(", ", 0)
			}
			m.bold(term)
		}
	}
	return m
}

func alertFallback(v render.AlertView, kind string) string {
	var topics []string
	for _, mt := range v.Matches {
		topics = append(topics, mt.Name)
	}
	s := fmt.Sprintf("%s (%s): %s", kind, v.Severity, v.Title)
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
func renderSummary(v render.AlertView) ([]slack.Block, string) {
	w := v.Summary
	header := cutPlain(":inbox_tray: More alerts held back", maxHeaderText)
	head := newMrkdwn(maxSectionText)
	head.bold(w.Headline)
	head.markup("\n", 0)
	head.text(w.Detail, 0)
	hint := newMrkdwn(maxContextText)
	hint.text(w.Hint, 0)
	foot := newMrkdwn(maxContextText)
	foot.text(fmt.Sprintf("summary #%d", v.ID), 0)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, header, true, false)),
		section(head),
		contextLine(hint),
		contextLine(foot),
	}
	return blocks, escapeMrkdwn(cutPlain(w.Headline, maxFallback))
}
