package bot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// Limits keep a console alert readable in a few seconds whatever a feed sends.
const (
	maxTitleRunes      = 200
	maxSnippetRunes    = 240
	maxAnnotationRunes = 420 // annotations are ours, 1-3 sentences: show them whole
	maxShortRunes      = 60  // source ids, topic ids, document numbers, outlet names
	maxURLRunes        = 300
	maxSnippetsShown   = 2 // per match in the text form
	maxAlsoReported    = 10
)

// TextOptions adapt the text form of an alert to where it is printed.
type TextOptions struct {
	// Bold shows the words that matched in ANSI bold; only for a terminal
	// that allows colour (see TerminalBold). Otherwise they are not marked.
	Bold bool
}

// ANSI bold on and off (22 is "normal intensity", so it ends bold only).
const ansiBold, ansiUnbold = "\x1b[1m", "\x1b[22m"

// FormatText renders an alert for a terminal: a header with the alert number,
// severity and topics, the title, where it came from, then each topic with
// the words that matched in context and why the topic matters. Feed text is
// cleaned of control characters and cut to bounded lengths.
func FormatText(a model.Alert) string { return FormatTextWith(a, TextOptions{}) }

// FormatTextWith is FormatText with the words that matched in bold, for a
// terminal that allows it.
func FormatTextWith(a model.Alert, o TextOptions) string {
	if a.Kind == model.AlertSummary {
		return formatSummaryText(a)
	}
	quote := func(sn model.Snippet) string { return HighlightSnippet(sn, maxSnippetRunes).ForTerminal(o.Bold) }
	var b strings.Builder
	kind := "NEW ALERT"
	if a.Kind == model.AlertUpdate {
		kind = "UPDATE"
	}
	topics := make([]string, 0, len(a.Matches))
	for _, m := range a.Matches {
		topics = append(topics, Clip(m.Topic, maxShortRunes))
	}
	fmt.Fprintf(&b, "━━ %s #%d · %s", kind, a.ID, a.MaxSeverity())
	if len(topics) > 0 {
		b.WriteString(" · " + strings.Join(topics, ", "))
	}
	b.WriteByte('\n')

	title := Clip(a.Item.Title, maxTitleRunes)
	if title == "" {
		title = "(untitled item)"
	}
	b.WriteString(title + "\n")

	if meta := ItemMeta(a.Item, true); meta != "" {
		b.WriteString("  " + meta + "\n")
	}

	for _, m := range a.Matches {
		fmt.Fprintf(&b, "  %s (%s, score %s)", Clip(m.Topic, maxShortRunes), m.Severity, FormatScore(m.Score))
		snippets := m.Snippets
		if len(snippets) == 0 {
			if terms := MatchedTerms(m); len(terms) > 0 {
				b.WriteString(": matched " + quoteAll(terms))
			}
			b.WriteByte('\n')
		} else {
			b.WriteString(": «" + quote(snippets[0]) + "»\n")
			for i, sn := range snippets[1:] {
				if i+1 >= maxSnippetsShown {
					fmt.Fprintf(&b, "    (+%d more; see explain %d)\n", len(snippets)-maxSnippetsShown, a.ID)
					break
				}
				b.WriteString("    «" + quote(sn) + "»\n")
			}
		}
		if why := Clip(m.Annotation, maxAnnotationRunes); why != "" {
			b.WriteString("    why: " + why + "\n")
		}
	}

	if a.Kind == model.AlertUpdate {
		b.WriteString("  " + updateLine(a) + "\n")
	}
	if also := AlsoReported(a.AlsoReportedBy); len(also) > 0 {
		b.WriteString("  also reported by: " + strings.Join(also, ", ") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// ItemMeta is the "source · date · doc · url" line, cleaned of control
// characters and cut; platforms escape it for their own markup.
func ItemMeta(it model.Item, withURL bool) string {
	var parts []string
	if src := Clip(it.SourceID, maxShortRunes); src != "" {
		parts = append(parts, src)
	}
	if w := it.When(); !w.IsZero() {
		parts = append(parts, w.UTC().Format("2006-01-02"))
	}
	if doc := DocLabel(it.Document); doc != "" {
		parts = append(parts, "doc "+doc)
	}
	if withURL {
		if u := Clip(it.Link, maxURLRunes); u != "" {
			parts = append(parts, u)
		}
	}
	return strings.Join(parts, " · ")
}

// DocLabel prints a document reference as a reader looks it up:
// "C20/51 Rev.1 [E, F]".
func DocLabel(d *model.DocumentRef) string {
	if d == nil {
		return ""
	}
	s := Clip(d.Number, maxShortRunes)
	if s == "" {
		return ""
	}
	if rev := Clip(d.Revision, maxShortRunes); rev != "" {
		s += " " + rev
	}
	if add := Clip(d.Addendum, maxShortRunes); add != "" {
		s += " " + add
	}
	if langs := cleanList(d.Languages, 10); len(langs) > 0 {
		s += " [" + strings.Join(langs, ", ") + "]"
	}
	return s
}

func updateLine(a model.Alert) string {
	s := "update"
	if a.ParentID != 0 {
		s += fmt.Sprintf(" of #%d", a.ParentID)
	}
	if ch := Clip(a.Change, maxShortRunes*2); ch != "" {
		s += ": " + ch
	}
	return s
}

// AlsoReported lists the other outlets of a story, cleaned, at most ten.
func AlsoReported(names []string) []string {
	out := cleanList(names, maxAlsoReported)
	if extra := len(names) - maxAlsoReported; extra > 0 {
		out = append(out, fmt.Sprintf("+%d more", extra))
	}
	return out
}

// cleanList cleans each name, drops empty ones and keeps at most max.
func cleanList(in []string, max int) []string {
	var out []string
	for _, s := range in {
		if len(out) == max {
			break
		}
		if c := Clip(s, maxShortRunes); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// Highlight is a quotation from an item ready to show: cleaned of control
// characters, cut to length, with the words that matched marked as hits.
// Each surface shows the hits with its own emphasis (mrkdwn *bold*, HTML
// <strong>, ANSI bold on a terminal) or not at all; no surface ever sees
// marker characters in the text, so feed text cannot fake or break one.
type Highlight []model.SnippetPart

// Plain is the quotation without any emphasis: for logs, files, JSON.
func (h Highlight) Plain() string {
	var b strings.Builder
	for _, p := range h {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Clean drops control characters and runs of white space from each part,
// keeping one space where a part began or ended with some. Quotations from
// HighlightSnippet are clean already; surfaces clean again in case one was
// built by hand.
func (h Highlight) Clean() Highlight {
	return Highlight(snippetSegments(model.Snippet{Parts: h}))
}

// Text is the quotation with each hit wrapped in open and close; the hit
// text itself is never split, so a pair is never left open.
func (h Highlight) Text(open, close string) string {
	var b strings.Builder
	for _, p := range h {
		if p.Hit {
			b.WriteString(open + p.Text + close)
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// ForTerminal is the quotation for a terminal: the hits in ANSI bold when
// bold is set (see TerminalBold), unmarked otherwise.
func (h Highlight) ForTerminal(bold bool) string {
	if bold {
		return h.Text(ansiBold, ansiUnbold)
	}
	return h.Plain()
}

// HighlightSnippet cleans a snippet and cuts it to max runes. Context before
// the first hit is shortened first, so that the words that matched stay
// visible.
func HighlightSnippet(sn model.Snippet, max int) Highlight {
	segs := snippetSegments(sn)
	total := 0
	firstHit := -1
	for i, sg := range segs {
		total += utf8.RuneCountInString(sg.Text)
		if sg.Hit && firstHit < 0 {
			firstHit = i
		}
	}
	if total > max && firstHit > 0 {
		// Keep at most a third of the room for what precedes the first hit.
		lead := ""
		for _, sg := range segs[:firstHit] {
			lead += sg.Text
		}
		if n := utf8.RuneCountInString(lead); n > max/3 {
			segs = append([]model.SnippetPart{{Text: CutLeft(lead, max/3)}}, segs[firstHit:]...)
			total -= n - utf8.RuneCountInString(segs[0].Text)
		}
	}
	if total <= max {
		return Highlight(segs)
	}
	var out Highlight
	left := max - 1 // room for the closing "…"
	for _, sg := range segs {
		n := utf8.RuneCountInString(sg.Text)
		if n <= left {
			out = append(out, sg)
			left -= n
			continue
		}
		if left > 0 {
			t := string([]rune(sg.Text)[:left])
			if sp := strings.LastIndexByte(t, ' '); !sg.Hit && sp > len(t)/2 {
				t = t[:sp] // end on a whole word
			}
			if t = strings.TrimRight(t, " "); t != "" {
				out = append(out, model.SnippetPart{Text: t, Hit: sg.Hit})
			}
		}
		break
	}
	for len(out) > 0 && strings.TrimRight(out[len(out)-1].Text, " ") == "" {
		out = out[:len(out)-1]
	}
	if len(out) > 0 {
		last := &out[len(out)-1]
		last.Text = strings.TrimRight(last.Text, " ")
	}
	return append(out, model.SnippetPart{Text: "…"})
}

// snippetSegments cleans each part and keeps one space where the feed text
// had white space between or at the edges of parts.
func snippetSegments(sn model.Snippet) []model.SnippetPart {
	var segs []model.SnippetPart
	afterSpace := true // no space at the very start
	for _, p := range sn.Parts {
		body := Clean(p.Text)
		lead := p.Text != strings.TrimLeftFunc(p.Text, unicode.IsSpace)
		trail := p.Text != strings.TrimRightFunc(p.Text, unicode.IsSpace)
		if (lead || body == "" && trail) && !afterSpace {
			segs = append(segs, model.SnippetPart{Text: " "})
			afterSpace = true
		}
		if body == "" {
			continue
		}
		segs = append(segs, model.SnippetPart{Text: body, Hit: p.Hit})
		afterSpace = false
		if trail {
			segs = append(segs, model.SnippetPart{Text: " "})
			afterSpace = true
		}
	}
	for len(segs) > 0 && segs[len(segs)-1].Text == " " {
		segs = segs[:len(segs)-1]
	}
	return segs
}

// CutLeft keeps the end of s, at most max runes, starting with "…" when it
// cut, and preferably at the start of a word.
func CutLeft(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	if max <= 1 {
		return "…"
	}
	tail := string(r[len(r)-(max-1):])
	if sp := strings.IndexByte(tail, ' '); sp >= 0 && sp < len(tail)/2 && strings.TrimSpace(tail[sp:]) != "" {
		tail = tail[sp+1:]
	}
	return "…" + tail
}

// MatchedTerms lists the distinct words that matched, as they stand in the
// item, in the order they were found.
func MatchedTerms(m model.Match) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range m.Hits {
		t := Clip(h.Text, maxShortRunes)
		if t == "" {
			t = Clip(h.Term, maxShortRunes)
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

func quoteAll(terms []string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = "“" + t + "”"
	}
	return strings.Join(q, ", ")
}

// FormatScore prints at most two decimals and no trailing zeros: 5, 2.5, 0.33.
func FormatScore(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// The JSON-lines schema. Every key is always present (empty lists as [],
// absent values as null) so that scripts can rely on it; fields are only ever
// added, never renamed.
type jsonAlert struct {
	ID             int64       `json:"id"`
	Kind           string      `json:"kind"`
	ParentID       int64       `json:"parent_id"`
	Change         string      `json:"change"`
	Title          string      `json:"title"`
	URL            string      `json:"url"`
	Source         string      `json:"source"`
	ItemID         string      `json:"item_id"`
	Published      *time.Time  `json:"published"`
	Document       *jsonDoc    `json:"document"`
	Severity       string      `json:"severity"`
	Topics         []jsonTopic `json:"topics"`
	Matches        []jsonMatch `json:"matches"`
	AlsoReportedBy []string    `json:"also_reported_by"`
	CreatedAt      time.Time   `json:"created_at"`
	Held           *jsonHeld   `json:"held,omitempty"` // summaries of held alerts only
}

type jsonDoc struct {
	Number    string   `json:"number"`
	Revision  string   `json:"revision"`
	Languages []string `json:"languages"`
}

type jsonTopic struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Severity string  `json:"severity"`
	Score    float64 `json:"score"`
}

type jsonMatch struct {
	Topic      string   `json:"topic"`
	Terms      []string `json:"terms"`
	Snippets   []string `json:"snippets"` // plain text, no markers
	Annotation string   `json:"annotation"`
	// SnippetParts are the snippets again, split where the words that
	// matched begin and end, for scripts that want to show them.
	SnippetParts [][]jsonPart `json:"snippet_parts"`
}

type jsonPart struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit"`
}

// FormatJSON renders an alert as one line of JSON for scripts (jq, log
// shippers). Strings are cleaned of control characters like the text form but
// not shortened, except snippets which are already windows of text.
func FormatJSON(a model.Alert) ([]byte, error) {
	j := jsonAlert{
		ID:             a.ID,
		Kind:           string(a.Kind),
		ParentID:       a.ParentID,
		Change:         Clean(a.Change),
		Title:          Clean(a.Item.Title),
		URL:            Clean(a.Item.Link),
		Source:         Clean(a.Item.SourceID),
		ItemID:         Clean(a.Item.ID),
		Severity:       a.MaxSeverity().String(),
		Topics:         []jsonTopic{},
		Matches:        []jsonMatch{},
		AlsoReportedBy: []string{},
		CreatedAt:      a.CreatedAt.UTC(),
	}
	if j.Kind == "" {
		j.Kind = string(model.AlertNew)
	}
	if j.Held = summaryJSON(a); j.Held != nil {
		j.Title = Summary(a, "").Headline
	}
	if w := a.Item.When(); !w.IsZero() {
		w = w.UTC()
		j.Published = &w
	}
	if d := a.Item.Document; d != nil {
		j.Document = &jsonDoc{Number: Clean(d.Number), Revision: Clean(d.Revision), Languages: []string{}}
		for _, l := range d.Languages {
			if c := Clean(l); c != "" {
				j.Document.Languages = append(j.Document.Languages, c)
			}
		}
	}
	for _, m := range a.Matches {
		name := Clean(m.TopicName)
		if name == "" {
			name = Clean(m.Topic)
		}
		j.Topics = append(j.Topics, jsonTopic{ID: Clean(m.Topic), Name: name, Severity: m.Severity.String(), Score: m.Score})
		jm := jsonMatch{Topic: Clean(m.Topic), Terms: []string{}, Snippets: []string{}, Annotation: Clean(m.Annotation), SnippetParts: [][]jsonPart{}}
		seen := map[string]bool{}
		for _, h := range m.Hits {
			t := Clean(h.Text)
			if t == "" {
				t = Clean(h.Term)
			}
			if t != "" && !seen[strings.ToLower(t)] {
				seen[strings.ToLower(t)] = true
				jm.Terms = append(jm.Terms, t)
			}
		}
		for _, sn := range m.Snippets {
			h := HighlightSnippet(sn, 1000)
			jm.Snippets = append(jm.Snippets, h.Plain())
			ps := make([]jsonPart, len(h))
			for i, p := range h {
				ps[i] = jsonPart{Text: p.Text, Hit: p.Hit}
			}
			jm.SnippetParts = append(jm.SnippetParts, ps)
		}
		j.Matches = append(j.Matches, jm)
	}
	for _, s := range a.AlsoReportedBy {
		if c := Clean(s); c != "" {
			j.AlsoReportedBy = append(j.AlsoReportedBy, c)
		}
	}
	out, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("format alert %d as JSON: %w", a.ID, err)
	}
	return out, nil
}
