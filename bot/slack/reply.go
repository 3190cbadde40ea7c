package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot/chat"
)

// RenderReply lays out a command reply as Block Kit: the title in bold, the
// lines as a bulleted list packed into as few sections as Slack's limits
// allow, the footer as a context line. Replies quote feed text (titles,
// snippets), so every string in r is escaped.
func RenderReply(r chat.Reply) []slack.Block {
	var blocks []slack.Block
	head := newMrkdwn(maxSectionText)
	if r.Error {
		head.markup(":warning: ", 0)
	}
	title := strings.TrimSpace(r.Title)
	if title == "" && r.Error {
		title = "That did not work"
	}
	if title != "" {
		head.bold(title)
		blocks = append(blocks, section(head))
	}

	// Room for the title, the footer and the "more" line.
	lineBlocks := maxBlocks - len(blocks) - 2
	cur := newMrkdwn(maxSectionText)
	n := 0 // lines in cur
	shown := 0
	for i, ln := range r.Lines {
		one := replyLine(ln)
		if n > 0 && !cur.fits(1+units(one.String())) {
			blocks = append(blocks, section(cur))
			lineBlocks--
			cur, n = newMrkdwn(maxSectionText), 0
		}
		if lineBlocks <= 0 {
			break
		}
		if n > 0 {
			cur.markup("\n", 0)
		}
		cur.closer(one.String()) // one is at most a section long: it fits an empty cur
		n++
		shown = i + 1
	}
	if n > 0 {
		blocks = append(blocks, section(cur))
	}
	if rest := len(r.Lines) - shown; rest > 0 {
		more := newMrkdwn(maxContextText)
		more.text(fmt.Sprintf("%d more not shown", rest), 0)
		blocks = append(blocks, contextLine(more))
	}
	if f := strings.TrimSpace(r.Footer); f != "" {
		foot := newMrkdwn(maxContextText)
		foot.text(f, 0)
		blocks = append(blocks, contextLine(foot))
	}
	if len(blocks) == 0 {
		empty := newMrkdwn(maxSectionText)
		empty.text("(nothing to show)", 0)
		blocks = append(blocks, section(empty))
	}
	return blocks
}

// replyLine is "• <url|text> · note · «quote»", within one section's limit.
func replyLine(ln chat.ReplyLine) *mrkdwn {
	m := newMrkdwn(maxSectionText)
	m.markup("• ", 0)
	text := ln.Text
	if strings.TrimSpace(text) == "" {
		text = ln.URL
	}
	if ln.URL != "" {
		m.link(ln.URL, text)
	} else {
		m.text(text, 0)
	}
	if note := strings.TrimSpace(ln.Note); note != "" {
		m.text(" · "+note, 0)
	}
	if len(ln.Quote) > 0 && strings.TrimSpace(ln.Quote.Plain()) != "" {
		m.text(" · «", 0)
		m.quote(ln.Quote)
		m.text("»", 0)
	}
	return m
}

// ReplyText is the plain fallback of a reply, for notifications and clients
// that cannot show blocks.
func ReplyText(r chat.Reply) string {
	s := strings.TrimSpace(r.Title)
	if s == "" {
		s = "ituwatch"
	}
	if len(r.Lines) > 0 {
		s += fmt.Sprintf(" (%d)", len(r.Lines))
	}
	return escapeMrkdwn(cutPlain(s, maxFallback))
}
