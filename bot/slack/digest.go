package slack

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/ituwatch/ituwatch/bot/render"
)

// renderDigest lays out a page of a digest: a header, the period and how
// many alerts, then each topic as a section and each story as a section of
// its own (a page holds at most digest.MaxStoriesPerPage stories, so at most
// 2·20+4 blocks), and a footer with the page and the commands.
func renderDigest(id int64, v render.DigestView) ([]slack.Block, string) {
	header := cutPlain(":newspaper: "+v.Title, maxHeaderText)
	head := newMrkdwn(maxSectionText)
	head.bold(v.Headline)
	if v.Period != "" {
		head.text(" · "+v.Period, 0)
	}
	if v.Muted != "" {
		head.markup("\n", 0)
		head.text(v.Muted, 0)
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, header, true, false)),
		section(head),
	}
	for _, t := range v.Topics {
		th := newMrkdwn(maxSectionText)
		th.markup(emojiFor(t.Severity)+" ", 0)
		th.bold(t.Heading)
		blocks = append(blocks, section(th))
		for _, s := range t.Stories {
			st := newMrkdwn(maxSectionText)
			st.boldLink(s.URL, s.Title)
			if s.Meta != "" {
				st.markup("\n", 0)
				st.text(s.Meta, 0)
			}
			if s.Counts != "" {
				st.markup("\n", 0)
				st.text(s.Counts, 0)
			}
			blocks = append(blocks, section(st))
		}
	}
	foot := newMrkdwn(maxContextText)
	f := fmt.Sprintf("digest #%d", id)
	if v.Page != "" {
		f += " · " + v.Page
	}
	foot.text(f+" · "+v.Hint, 0)
	blocks = append(blocks, contextLine(foot))
	if len(blocks) > maxBlocks {
		// Build keeps pages under the limit; should a page ever break it,
		// the last block says so instead of Slack refusing the page.
		blocks = blocks[:maxBlocks-1]
		more := newMrkdwn(maxContextText)
		more.text(fmt.Sprintf("this page was too long for Slack; see %sdigest now or recent", slashCommand+" "), 0)
		blocks = append(blocks, contextLine(more))
	}
	fallback := v.Title + ": " + v.Headline
	if v.Page != "" {
		fallback += " (" + v.Page + ")"
	}
	return blocks, escapeMrkdwn(cutPlain(fallback, maxFallback))
}
