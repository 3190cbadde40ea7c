// Package model holds the domain types every other package speaks: the Item a
// watcher produces, the Match a rule finds, the Alert the bot delivers and the
// Delivery that tracks it. It has no dependencies so that every layer can
// import it without pulling in any other.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Severity ranks how much a topic match matters to a policy team.
type Severity int

const (
	SeverityUnknown Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"unknown", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity accepts low, medium, high and critical in any case.
func ParseSeverity(s string) (Severity, error) {
	for i, name := range severityNames[1:] {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Severity(i + 1), nil
		}
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", s)
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Item is one thing a source published: a news story, a feed entry, an ITU
// document, or the added text of a page that changed.
type Item struct {
	SourceID   string       `json:"source"`
	ID         string       `json:"item_id"` // stable within the source: guid, canonical link, or a hash
	Title      string       `json:"title"`
	Link       string       `json:"url,omitempty"`
	Published  time.Time    `json:"published,omitzero"`
	Updated    time.Time    `json:"updated,omitzero"`
	Summary    string       `json:"summary,omitempty"` // plain text
	Content    string       `json:"content,omitempty"` // plain text
	Authors    []string     `json:"authors,omitempty"`
	Categories []string     `json:"categories,omitempty"`
	Document   *DocumentRef `json:"document,omitempty"` // set when the item is an ITU document
	// Diff is set by a watcher that compares versions itself (a page
	// source keeps the page's last text, not an item): what changed, for
	// the pipeline to put on the alert. It is not stored with the item.
	Diff *TextDiff `json:"-"`
}

// Key identifies an item across all sources.
func (it *Item) Key() string { return it.SourceID + "\x00" + it.ID }

// Fingerprint changes when the words a reader sees change (see
// ComparableText); an item seen again with a new fingerprint is an update,
// not a new item.
func (it *Item) Fingerprint() string {
	// The text is copied into a reused buffer: hashing a string through
	// hash.Hash copies it into a new slice each time, and every polled
	// item is fingerprinted.
	buf := fingerprintBuffers.Get().(*[]byte)
	b := (*buf)[:0]
	// Text is compared as ComparableText: churn (white space, view
	// counters, "updated" stamps, tracking parameters) is no update.
	for _, s := range []string{it.Title, it.Summary, it.Content} {
		b = append(append(b, ComparableText(s)...), 0)
	}
	b = append(append(b, stripTracking(strings.TrimSpace(it.Link))...), 0)
	if it.Document != nil {
		b = append(append(b, it.Document.Revision...), 0)
		b = append(b, strings.Join(it.Document.Languages, ",")...)
	}
	sum := sha256.Sum256(b)
	if cap(b) <= maxPooledFingerprintBuffer {
		*buf = b
		fingerprintBuffers.Put(buf)
	}
	return hex.EncodeToString(sum[:16])
}

// maxPooledFingerprintBuffer keeps one huge item from pinning its buffer.
const maxPooledFingerprintBuffer = 64 << 10

var fingerprintBuffers = sync.Pool{New: func() any { return new([]byte) }}

// When is the best date to show for an item.
func (it *Item) When() time.Time {
	if !it.Published.IsZero() {
		return it.Published
	}
	return it.Updated
}

// DocumentRef is an ITU document number parsed into its parts, e.g.
// "C20/51(Rev.1)-E": series C, meeting 20, number 51, revision Rev.1, English.
type DocumentRef struct {
	Number    string   `json:"number"` // as printed, without language and revision
	Series    string   `json:"series,omitempty"`
	Meeting   string   `json:"meeting,omitempty"`
	Seq       string   `json:"seq,omitempty"`
	Revision  string   `json:"revision,omitempty"`
	Addendum  string   `json:"addendum,omitempty"`
	Languages []string `json:"languages,omitempty"`
	Submitter string   `json:"submitter,omitempty"` // the listing's source column as written
	// Proposers are who submitted the document, in itudoc's canonical
	// names ("Russian Federation", "RCC"); sector members as written.
	Proposers []string `json:"proposers,omitempty"`
	// Files are the document's files as its page lists them; TextFrom the
	// one whose text is the item's Content.
	Files    []DocumentFile `json:"files,omitempty"`
	TextFrom string         `json:"text_from,omitempty"`
	// Restricted says why the text was not read when the file needs a
	// TIES login; the item still alerts on its listing row.
	Restricted string `json:"restricted,omitempty"`
	// Tracked are the tracked changes of a Word file: the proposer's own
	// diff, preferred to one computed between revisions.
	Tracked *TrackedChanges `json:"tracked,omitempty"`
}

// DocumentFile is one file of an ITU document: a format in a language.
type DocumentFile struct {
	URL      string `json:"url"`
	Format   string `json:"format"`             // docx, pdf, htm, zip
	Language string `json:"language,omitempty"` // en, fr, es, ar, zh, ru
	Size     int64  `json:"size,omitempty"`
}

// TrackedChanges are the runs inside a Word file's insertions (w:ins) and
// deletions (w:del), one entry per paragraph.
type TrackedChanges struct {
	Inserted []string `json:"inserted,omitempty"`
	Deleted  []string `json:"deleted,omitempty"`
}

// Hit is one place where a rule term matched an item.
type Hit struct {
	Term  string `json:"term"`  // the term as the rule wrote it
	Text  string `json:"text"`  // the words as they stand in the item
	Field string `json:"field"` // title, summary or content
	Start int    `json:"start"` // byte offsets into that field
	End   int    `json:"end"`
}

// SnippetPart is a run of item text; Hit parts are the matched words. Keeping
// the parts apart lets each platform escape the text and mark the hits in its
// own markup.
type SnippetPart struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit,omitempty"`
}

// Snippet is a short window of item text around one or more hits.
type Snippet struct {
	Field string        `json:"field"`
	Parts []SnippetPart `json:"parts"`
}

// Plain renders the snippet with hits wrapped in the given markers.
func (s Snippet) Plain(open, close string) string {
	var b strings.Builder
	for _, p := range s.Parts {
		if p.Hit {
			b.WriteString(open + p.Text + close)
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// Match is one topic an item hit, with the explanation of why.
type Match struct {
	Topic      string    `json:"topic"`
	TopicName  string    `json:"topic_name"`
	Severity   Severity  `json:"severity"`
	Score      float64   `json:"score"`
	Annotation string    `json:"annotation"`
	Hits       []Hit     `json:"hits"`
	Snippets   []Snippet `json:"snippets"`
	// Language is the ISO code of the language the hits were found in
	// ("fr", "ru", ...) when it is not English.
	Language string `json:"language,omitempty"`
	// Salience says, for a long text, where the topic's words stood and
	// how that weighed on Score ("in the title", "2 places, deep in a
	// long text: score × 0.5"); empty for short texts, which count in full.
	Salience string `json:"salience,omitempty"`
}

// AlertKind says whether an alert is news or an update of an earlier one.
type AlertKind string

const (
	AlertNew    AlertKind = "new"
	AlertUpdate AlertKind = "update"
	// AlertSummary stands for the alerts of one poll of a source that the
	// per-poll limit kept from one destination: one message instead of
	// hundreds. Its Held says how many and where to find them.
	AlertSummary AlertKind = "summary"
)

// HeldAlerts is what a summary tells one destination about the alerts the
// per-poll limit kept from it. The alerts themselves are stored like any
// other (recent, search and explain find them); they were only not sent.
type HeldAlerts struct {
	Source      string   `json:"source"`           // the source's id, from the config
	Destination string   `json:"destination"`      // where the summary goes
	Count       int      `json:"count"`            // alerts held back from Destination
	Limit       int      `json:"limit"`            // alerts per poll the destination got
	Topics      []string `json:"topics,omitempty"` // topics of the held alerts, most frequent first
}

// Alert is what the bot tells people: an item, the topics it hit, and whether
// it is new or an update of something already alerted.
type Alert struct {
	ID             int64     `json:"id"`
	Kind           AlertKind `json:"kind"`
	ParentID       int64     `json:"parent_id,omitempty"` // the first alert of the same item or story
	Change         string    `json:"change,omitempty"`    // what changed, for updates: "revised (Rev.1)", "title changed"
	Item           Item      `json:"item"`
	Matches        []Match   `json:"matches"`
	AlsoReportedBy []string  `json:"also_reported_by,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	// Held is set on a summary (Kind AlertSummary) only.
	Held *HeldAlerts `json:"held,omitempty"`
	// HeldFrom lists the destinations the per-poll limit kept this alert
	// from: it is stored and searchable, but was not sent there.
	HeldFrom []string `json:"held_from,omitempty"`
	// Digest is set on a page of a digest (Kind AlertDigest) only.
	Digest *Digest `json:"digest,omitempty"`
	// Diff is what changed in the item's text since the version its readers
	// saw: set on updates, and on a page's alert, when the text changed.
	Diff *TextDiff `json:"diff,omitempty"`
}

// Topics lists the topic ids of the alert's matches in match order.
func (a *Alert) Topics() []string {
	out := make([]string, 0, len(a.Matches))
	for _, m := range a.Matches {
		out = append(out, m.Topic)
	}
	return out
}

// MaxSeverity is the highest severity among the matches.
func (a *Alert) MaxSeverity() Severity {
	var s Severity
	for _, m := range a.Matches {
		if m.Severity > s {
			s = m.Severity
		}
	}
	return s
}

// SourceState is what is remembered about a source between polls: the
// validators for conditional GET and its health.
type SourceState struct {
	SourceID            string    `json:"source"`
	ETag                string    `json:"etag,omitempty"`
	LastModified        string    `json:"last_modified,omitempty"`
	BodyHash            string    `json:"body_hash,omitempty"`
	LastPoll            time.Time `json:"last_poll,omitzero"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	LastError           string    `json:"last_error,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	NextPoll            time.Time `json:"next_poll,omitzero"` // not before this time (backoff, Retry-After)
	Retired             bool      `json:"retired,omitempty"`  // the source said 410 Gone
	ItemsSeen           int       `json:"items_seen"`
	PageText            string    `json:"-"` // last extracted text of a page-change source
	// Warning is what a poll that worked found doubtful about what it read:
	// a page whose watched text is tiny or only links, a listing whose table
	// gave no document. Empty when all is well; kept while the body is
	// unchanged.
	Warning string `json:"warning,omitempty"`
}
