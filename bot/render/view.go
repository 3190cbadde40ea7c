// Package render turns an alert into what people read, whatever the
// surface: NewAlertView decides once what an alert shows (title, where it
// came from, the words that matched, why it matters, other outlets, or the
// words of a summary of held alerts), cleaned of anything a feed could use
// against a reader; the text and JSON renderers here, and bot/slack and
// bot/matrix, only cut, escape and lay out a view.
package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
)

// Limits shared by every surface; each surface cuts prose (titles, why it
// matters) to its own room.
const (
	MaxTitleRunes   = 200 // a title on one line of a list or an alert
	MaxQuoteRunes   = 240 // a quotation around the words that matched
	MaxWhyRunes     = 420 // why a topic matters: ours, 1-3 sentences, shown whole
	MaxShortRunes   = 60  // source ids, topic ids and names, document numbers, outlet names
	MaxURLRunes     = 300
	maxChangeRunes  = 2 * MaxShortRunes
	maxAlsoReported = 10
	untitled        = "(untitled item)"
)

// AlertView is an alert as people are shown it. Every string in it is
// cleaned (see Clean); ids, names and lists are cut, prose is cut by each
// surface to its room. Surfaces still escape every string for their markup:
// most of them came from a feed.
type AlertView struct {
	ID       int64
	Kind     model.AlertKind
	ParentID int64          // for an update: the alert it updates
	Severity model.Severity // the highest of its matches
	Topics   []string       // the topic ids, in the order they matched
	Title    string         // never empty: an item without one is "(untitled item)"
	URL      string         // the item's link as given; surfaces link it only when safe
	Meta     Meta
	Matches  []MatchView
	Change   string // for an update: what changed
	// AlsoReported names the other outlets of the story, at most ten, then
	// "+N more".
	AlsoReported []string
	// Diff is what changed in the item's text, at most MaxDiffLinesShown
	// lines; nil when the alert has no diff.
	Diff *DiffView
	// Summary holds the words of a summary of held alerts (kind summary);
	// for one, the fields but ID, Kind and ParentID are empty.
	Summary *SummaryWords
	// Claim says who is on the alert or closed it; nil when nobody is.
	Claim *ClaimView
	// Digest is a page of a digest (kind digest); for one, the fields but
	// ID, Kind and ParentID are empty.
	Digest *DigestView
	// Permalink is the alert's page in the web view, {web.base_url}/alerts/{id};
	// empty without a web view, and for summaries, digests and notices,
	// which have no page.
	Permalink string
}

// MatchView is one topic an alert matched.
type MatchView struct {
	Topic    string // the topic id
	Name     string // the topic's name, or its id when it has none
	Severity model.Severity
	Score    string   // at most two decimals: 5, 2.5, 0.33
	Terms    []string // the distinct words that matched, as they stand in the item
	Quotes   []Quote  // the words that matched in context, cut to MaxQuoteRunes
	// Why says why the topic matters, as the rule pack wrote it (line breaks
	// kept, for surfaces that show them), or, when Brief, a one-line pointer
	// to the explain command: the destination saw the paragraph today.
	Why   string
	Brief bool
	// Salience says how the words' place weighed the score ("in the title",
	// "2 places, deep in a long text: score × 0.5"); empty when it did not.
	Salience string
}

// Quote is a quotation from one field of the item.
type Quote struct {
	Field string // title, summary, content
	Text  Highlight
}

// ViewOptions adapt a view to its destination.
type ViewOptions struct {
	// Explained holds the topics whose "why it matters" the destination was
	// shown in full today (notify.Outgoing.Explained): their Why becomes a
	// pointer to the explain command.
	Explained map[string]bool
	// CommandPrefix is how the surface's chat commands begin, for the
	// commands a view names: "" on the console, "/itu " on Slack, "!itu "
	// on Matrix.
	CommandPrefix string
	// Claim is who is on the alert, for the edit that shows it; nil: nobody.
	Claim *model.AlertClaim
	// PermalinkBase is the web view's address as people reach it
	// (web.base_url, checked by config); "" when there is none.
	PermalinkBase string
}

// NewAlertView decides what a shows.
func NewAlertView(a model.Alert, o ViewOptions) AlertView {
	v := AlertView{ID: a.ID, Kind: a.Kind, ParentID: a.ParentID}
	if a.Kind == model.AlertSummary {
		w := Summary(a, o.CommandPrefix)
		v.Summary = &w
		return v
	}
	if a.Kind == model.AlertDigest && a.Digest != nil {
		d := NewDigestView(*a.Digest, o.CommandPrefix)
		v.Digest = &d
		return v
	}
	v.Claim = NewClaimView(o.Claim)
	if a.Kind != model.AlertNotice {
		v.Permalink = Permalink(o.PermalinkBase, a.ID)
	}
	v.Severity = a.MaxSeverity()
	v.Title = Clean(a.Item.Title)
	if v.Title == "" {
		v.Title = untitled
	}
	v.URL = Clean(a.Item.Link)
	v.Meta = ItemMeta(a.Item)
	v.Change = Clip(a.Change, maxChangeRunes)
	v.AlsoReported = AlsoReported(a.AlsoReportedBy)
	v.Diff = NewDiffView(a.Diff, MaxDiffLinesShown, MaxDiffLineRunes)
	for _, m := range a.Matches {
		mv := MatchView{
			Topic:    Clip(m.Topic, MaxShortRunes),
			Name:     Clip(m.TopicName, MaxShortRunes),
			Severity: m.Severity,
			Score:    formatScore(m.Score) + matchedIn(m.Language),
			Terms:    matchedTerms(m),
			Why:      cleanLines(m.Annotation),
			Salience: Clip(m.Salience, MaxShortRunes*2),
		}
		if mv.Name == "" {
			mv.Name = mv.Topic
		}
		if mv.Topic != "" {
			v.Topics = append(v.Topics, mv.Topic)
		}
		for _, sn := range m.Snippets {
			mv.Quotes = append(mv.Quotes, Quote{Field: Clip(sn.Field, 20), Text: HighlightSnippet(sn, MaxQuoteRunes)})
		}
		if o.Explained[m.Topic] && mv.Why != "" {
			mv.Why, mv.Brief = explainedRef(o.CommandPrefix, a.ID), true
		}
		v.Matches = append(v.Matches, mv)
	}
	return v
}

// Permalink is alert id's page in the web view at base: "" when base is
// empty or the alert has no id yet.
func Permalink(base string, id int64) string {
	if base == "" || id <= 0 {
		return ""
	}
	return strings.TrimRight(base, "/") + "/alerts/" + strconv.FormatInt(id, 10)
}

// explainedRef stands for a paragraph the destination was shown today. The
// console has no chat of its own: its operator asks in "ituwatch chat".
func explainedRef(prefix string, id int64) string {
	cmd := fmt.Sprintf("%sexplain %d", prefix, id)
	if prefix == "" {
		cmd = "'" + cmd + "' in ituwatch chat"
	}
	return "as in today's first alert on this topic; " + cmd + " repeats it"
}

// UpdateLine is "update of #41: title changed", for an update.
func (v AlertView) UpdateLine() string { return updateLine(v.ParentID, v.Change) }

// UpdateLine is an alert's "update of #41: title changed", for lists.
func UpdateLine(a model.Alert) string {
	return updateLine(a.ParentID, Clip(a.Change, maxChangeRunes))
}

func updateLine(parent int64, change string) string {
	s := "update"
	if parent != 0 {
		s += fmt.Sprintf(" of #%d", parent)
	}
	if change != "" {
		s += ": " + change
	}
	return s
}

// ItemTitle is an item's title for one line of a list: cleaned, cut, and
// never empty.
func ItemTitle(it model.Item) string {
	if t := Clip(it.Title, MaxTitleRunes); t != "" {
		return t
	}
	return untitled
}

// Meta is where an item came from: the source, the date, the document.
type Meta struct {
	Source string    // the source id or name
	Date   time.Time // zero when the item has none
	Doc    string    // the document label, "C20/51 Rev.1 [E, F]"
	// Proposers are who proposed the document, cleaned, at most ten,
	// then "+N more".
	Proposers []string
}

// ItemMeta is an item's Meta, its source named by id.
func ItemMeta(it model.Item) Meta {
	m := Meta{Source: Clip(it.SourceID, MaxShortRunes), Date: it.When(), Doc: DocLabel(it.Document)}
	if it.Document != nil {
		m.Proposers = ProposerList(it.Document.Proposers)
	}
	return m
}

// maxProposers keeps a common proposal of forty co-signers to one line.
const maxProposers = 10

// ProposerList is who proposed a document as shown: cleaned, at most ten,
// then "+N more".
func ProposerList(names []string) []string {
	out := CleanList(names, maxProposers)
	if extra := len(names) - maxProposers; extra > 0 {
		out = append(out, fmt.Sprintf("+%d more", extra))
	}
	return out
}

// ProposedBy is "proposed by Russian Federation, RCC"; empty for nobody.
func ProposedBy(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "proposed by " + strings.Join(names, ", ")
}

// MetaStyle is how a surface writes the meta line.
type MetaStyle struct {
	DateLayout string // for time.Format, of the date in UTC
	DocPrefix  string // before the document label: "doc "
}

// ISOMeta is "itu-news · 2026-11-20 · doc C20/51": the console, lists and Matrix.
var ISOMeta = MetaStyle{DateLayout: "2006-01-02", DocPrefix: "doc "}

// Parts are the parts of the meta line that are known, in order.
func (m Meta) Parts(s MetaStyle) []string {
	var parts []string
	if m.Source != "" {
		parts = append(parts, m.Source)
	}
	if !m.Date.IsZero() {
		parts = append(parts, m.Date.UTC().Format(s.DateLayout))
	}
	if m.Doc != "" {
		parts = append(parts, s.DocPrefix+m.Doc)
	}
	if p := ProposedBy(m.Proposers); p != "" {
		parts = append(parts, p)
	}
	return parts
}

// Line is the meta line, "source · date · doc"; empty when nothing is known.
func (m Meta) Line(s MetaStyle) string { return strings.Join(m.Parts(s), " · ") }

// DocLabel prints a document reference as a reader looks it up:
// "C20/51 Rev.1 [E, F]".
func DocLabel(d *model.DocumentRef) string {
	if d == nil {
		return ""
	}
	// Each part is cleaned and cut on its own, so a hostile number cannot
	// push the revision out of view; itudoc says how the parts combine.
	s := itudoc.Label(&model.DocumentRef{
		Number:   Clip(d.Number, MaxShortRunes),
		Revision: Clip(d.Revision, MaxShortRunes),
		Addendum: Clip(d.Addendum, MaxShortRunes),
	})
	if s == "" {
		return ""
	}
	if langs := CleanList(d.Languages, 10); len(langs) > 0 {
		s += " [" + strings.Join(langs, ", ") + "]"
	}
	if r := Clip(d.Restricted, MaxShortRunes); r != "" {
		// Said wherever the document is, so nobody takes the missing
		// quotes from its body for a document that says nothing.
		s += ", restricted (" + r + "): text not read"
	}
	return s
}

// AlsoReported lists the other outlets of a story, cleaned, at most ten,
// then "+N more".
func AlsoReported(names []string) []string {
	out := CleanList(names, maxAlsoReported)
	if extra := len(names) - maxAlsoReported; extra > 0 {
		out = append(out, fmt.Sprintf("+%d more", extra))
	}
	return out
}

// CleanList cleans and cuts each name, drops empty ones and keeps at most max.
func CleanList(in []string, max int) []string {
	var out []string
	for _, s := range in {
		if len(out) == max {
			break
		}
		if c := Clip(s, MaxShortRunes); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// cleanLines cleans each line of s and keeps the line breaks, without
// blank lines at the ends.
func cleanLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = Clean(l)
	}
	return strings.Join(lines, "\n")
}

// matchedTerms lists the distinct words that matched, as they stand in the
// item, in the order they were found.
func matchedTerms(m model.Match) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range m.Hits {
		t := Clip(h.Text, MaxShortRunes)
		if t == "" {
			t = Clip(h.Term, MaxShortRunes)
		}
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out
}

// QuoteAll writes terms as “a”, “b”.
func QuoteAll(terms []string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = "“" + t + "”"
	}
	return strings.Join(q, ", ")
}

// formatScore prints at most two decimals and no trailing zeros: 5, 2.5, 0.33.
func formatScore(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// matchedIn tells a reader that the words matched in another of the ITU's
// languages, after the score every surface already shows.
func matchedIn(lang string) string {
	name := map[string]string{"fr": "French", "es": "Spanish", "ru": "Russian", "ar": "Arabic", "zh": "Chinese"}[lang]
	if name == "" {
		return ""
	}
	return ", matched in " + name
}
