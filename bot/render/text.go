package render

import (
	"fmt"
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

const maxQuotesShown = 2 // per match in the text form

// TextOptions adapt the text form of an alert to where it is printed.
type TextOptions struct {
	// Bold shows the words that matched in ANSI bold; only for a terminal
	// that allows colour (see TerminalBold). Otherwise they are not marked.
	Bold bool
}

// FormatText renders an alert for a terminal: a header with the alert number,
// severity and topics, the title, where it came from, then each topic with
// the words that matched in context and why the topic matters. Feed text is
// cleaned of control characters and cut to bounded lengths.
func FormatText(a model.Alert) string { return FormatTextWith(a, TextOptions{}) }

// FormatTextWith is FormatText with the words that matched in bold, for a
// terminal that allows it.
func FormatTextWith(a model.Alert, o TextOptions) string {
	return Text(NewAlertView(a, ViewOptions{}), o)
}

// Text lays out a view as FormatText does.
func Text(v AlertView, o TextOptions) string {
	if v.Summary != nil {
		w := v.Summary
		return fmt.Sprintf("━━ HELD BACK #%d · %s\n%s\n  %s\n  %s", v.ID, w.Source, w.Headline, w.Detail, w.Hint)
	}
	if v.Digest != nil {
		return DigestText(v.ID, *v.Digest)
	}
	var b strings.Builder
	kind := "NEW ALERT"
	if v.Kind == model.AlertUpdate {
		kind = "UPDATE"
	}
	if v.Kind == model.AlertNotice {
		// ituwatch's own words (a mute ended): no severity, no topics.
		return fmt.Sprintf("━━ NOTICE #%d\n%s", v.ID, Cut(v.Title, MaxTitleRunes))
	}
	fmt.Fprintf(&b, "━━ %s #%d · %s", kind, v.ID, v.Severity)
	if len(v.Topics) > 0 {
		b.WriteString(" · " + strings.Join(v.Topics, ", "))
	}
	b.WriteByte('\n')
	b.WriteString(Cut(v.Title, MaxTitleRunes) + "\n")

	meta := v.Meta.Parts(ISOMeta)
	if u := Cut(v.URL, MaxURLRunes); u != "" {
		meta = append(meta, u)
	}
	if len(meta) > 0 {
		b.WriteString("  " + strings.Join(meta, " · ") + "\n")
	}

	for _, m := range v.Matches {
		fmt.Fprintf(&b, "  %s (%s, score %s)", m.Topic, m.Severity, m.Score)
		if len(m.Quotes) == 0 {
			if len(m.Terms) > 0 {
				b.WriteString(": matched " + QuoteAll(m.Terms))
			}
			b.WriteByte('\n')
		} else {
			b.WriteString(": «" + m.Quotes[0].Text.ForTerminal(o.Bold) + "»\n")
			for i, q := range m.Quotes[1:] {
				if i+1 >= maxQuotesShown {
					fmt.Fprintf(&b, "    (+%d more; see explain %d)\n", len(m.Quotes)-maxQuotesShown, v.ID)
					break
				}
				b.WriteString("    «" + q.Text.ForTerminal(o.Bold) + "»\n")
			}
		}
		if why := Clip(m.Why, MaxWhyRunes); why != "" {
			b.WriteString("    why: " + why + "\n")
		}
	}

	if v.Kind == model.AlertUpdate {
		b.WriteString("  " + v.UpdateLine() + "\n")
	}
	if d := v.Diff; d != nil {
		b.WriteString(TextDiff(d, o, "", v.ID))
	}
	if len(v.AlsoReported) > 0 {
		b.WriteString("  also reported by: " + strings.Join(v.AlsoReported, ", ") + "\n")
	}
	if v.Permalink != "" {
		b.WriteString("  open in ituwatch: " + v.Permalink + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// TextDiff lays out what changed for a terminal: a heading, then one line
// per sentence, "+" added, "−" removed, "~" reworded with [-deleted-] and
// {+inserted+} words, the words that matched in bold when o.Bold.
func TextDiff(d *DiffView, o TextOptions, prefix string, id int64) string {
	var b strings.Builder
	open, close := "", ""
	if o.Bold {
		open, close = ansiBold, ansiUnbold
	}
	b.WriteString("  " + d.Heading() + "\n")
	for _, l := range d.Lines {
		b.WriteString("    " + DiffSign(l.Kind) + " " + PlainLine(l, open, close) + "\n")
	}
	if more := d.MoreLine(prefix, id); more != "" {
		b.WriteString("    " + more + "\n")
	}
	return b.String()
}
