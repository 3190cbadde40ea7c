package render

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// FormatJSON works from the alert rather than its AlertView: a JSON line is
// data for scripts, so its strings are cleaned but never cut, an untitled
// item has an empty title, and the schema keeps fields (item id, document
// revision, topic names) that no layout shows.

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
	// Digest is set on pages of digests only.
	Digest *jsonDigest `json:"digest,omitempty"`
	Diff   *jsonDiff   `json:"diff,omitempty"` // alerts whose text changed only
	// Permalink is the alert's page in the web view; only with web.base_url.
	Permalink string `json:"permalink,omitempty"`
}

// jsonDiff is what changed in the item's text, cleaned, not cut.
type jsonDiff struct {
	Added    int            `json:"added"`
	Removed  int            `json:"removed"`
	Reworded int            `json:"reworded"`
	Omitted  int            `json:"omitted"` // changed sentences not in lines
	Partial  bool           `json:"partial"`
	Version  string         `json:"version,omitempty"` // the revision that made the changes: "Rev.1"
	Tracked  bool           `json:"tracked,omitempty"` // the proposer's own tracked changes
	Lines    []jsonDiffLine `json:"lines"`
}

type jsonDiffLine struct {
	Kind  string         `json:"kind"` // added, removed, changed
	Text  string         `json:"text"` // the sentence as it now reads (as it read, when removed)
	Parts []jsonDiffPart `json:"parts"`
}

type jsonDiffPart struct {
	Text string `json:"text"`
	Op   string `json:"op"` // "", "ins" or "del"
	Hit  bool   `json:"hit"`
}

func diffJSON(d *model.TextDiff) *jsonDiff {
	v := NewDiffView(d, len(d.Lines), 1<<20)
	if v == nil {
		return nil
	}
	j := &jsonDiff{Added: v.Added, Removed: v.Removed, Reworded: v.Reworded, Omitted: v.More, Partial: v.Partial, Version: v.Version, Tracked: v.Tracked, Lines: []jsonDiffLine{}}
	for _, l := range v.Lines {
		jl := jsonDiffLine{Kind: string(l.Kind), Parts: make([]jsonDiffPart, len(l.Parts))}
		var text strings.Builder
		for i, p := range l.Parts {
			jl.Parts[i] = jsonDiffPart{Text: p.Text, Op: string(p.Op), Hit: p.Hit}
			if p.Op != model.DiffDel || l.Kind == model.DiffRemoved {
				text.WriteString(p.Text)
			}
		}
		jl.Text = strings.Join(strings.Fields(text.String()), " ")
		j.Lines = append(j.Lines, jl)
	}
	return j
}

// jsonDigest is a digest page as stored, its strings cleaned.
type jsonDigest = model.Digest

type jsonDoc struct {
	Number    string   `json:"number"`
	Revision  string   `json:"revision"`
	Languages []string `json:"languages"`
	Proposers []string `json:"proposers"` // canonical names; [] when the listing named nobody
	// Restricted is why the document's text was not read (a TIES login).
	Restricted string `json:"restricted,omitempty"`
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
func FormatJSON(a model.Alert) ([]byte, error) { return FormatJSONWith(a, JSONOptions{}) }

// JSONOptions adapt the JSON line to where it is printed.
type JSONOptions struct {
	// PermalinkBase is web.base_url: with it, a line carries the alert's
	// page in the web view as "permalink".
	PermalinkBase string
}

// FormatJSONWith is FormatJSON with the options of o.
func FormatJSONWith(a model.Alert, o JSONOptions) ([]byte, error) {
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
	if a.Kind == model.AlertDigest && a.Digest != nil {
		j.Digest = cleanDigest(*a.Digest)
		v := NewDigestView(*a.Digest, "")
		j.Title = v.Title + ": " + v.Headline
		j.Source, j.ItemID = "", ""
	}
	if w := a.Item.When(); !w.IsZero() {
		w = w.UTC()
		j.Published = &w
	}
	if d := a.Item.Document; d != nil {
		j.Document = &jsonDoc{Number: Clean(d.Number), Revision: Clean(d.Revision), Languages: []string{}, Proposers: []string{}, Restricted: Clean(d.Restricted)}
		for _, p := range d.Proposers {
			if c := Clean(p); c != "" {
				j.Document.Proposers = append(j.Document.Proposers, c)
			}
		}
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
	if a.Diff != nil {
		j.Diff = diffJSON(a.Diff)
	}
	switch a.Kind {
	case model.AlertSummary, model.AlertDigest, model.AlertNotice:
	default:
		j.Permalink = Permalink(o.PermalinkBase, a.ID)
	}
	out, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("format alert %d as JSON: %w", a.ID, err)
	}
	return out, nil
}

// jsonHeld is the "held" key of a summary's JSON line; other alerts have none.
type jsonHeld struct {
	Source      string   `json:"source"`
	Destination string   `json:"destination"`
	Count       int      `json:"count"`
	Limit       int      `json:"limit"`
	Topics      []string `json:"topics"`
}

func summaryJSON(a model.Alert) *jsonHeld {
	if a.Kind != model.AlertSummary || a.Held == nil {
		return nil
	}
	j := &jsonHeld{Source: Clean(a.Held.Source), Destination: Clean(a.Held.Destination), Count: a.Held.Count, Limit: a.Held.Limit, Topics: []string{}}
	for _, t := range a.Held.Topics {
		if c := Clean(t); c != "" {
			j.Topics = append(j.Topics, c)
		}
	}
	return j
}
