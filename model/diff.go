package model

// TextDiff is what changed in an item's text between two versions: the
// sentences added and removed, and the sentences that changed with their
// changed words marked. Like a Snippet, it is kept in parts so that each
// surface escapes the text and marks insertions, deletions and the words
// that matched a topic in its own markup.
type TextDiff struct {
	Lines    []DiffLine `json:"lines"`
	Added    int        `json:"added"`    // sentences added
	Removed  int        `json:"removed"`  // sentences removed
	Reworded int        `json:"reworded"` // sentences changed word by word
	// Omitted counts changed sentences left out of Lines to keep the diff
	// small enough to store and show.
	Omitted int `json:"omitted,omitempty"`
	// Partial says the texts were too long or too different to compare
	// whole: Lines hold what was compared.
	Partial bool `json:"partial,omitempty"`
	// Version names the document version the changes belong to ("Rev.1"),
	// so the heading can say "Rev.1 adds …"; "" for any other item.
	Version string `json:"version,omitempty"`
	// Tracked says the lines are the proposer's own tracked changes, not
	// a comparison of two texts.
	Tracked bool `json:"tracked,omitempty"`
}

// DiffLineKind says what happened to one sentence.
type DiffLineKind string

const (
	DiffAdded   DiffLineKind = "added"
	DiffRemoved DiffLineKind = "removed"
	DiffChanged DiffLineKind = "changed" // a sentence reworded: its parts carry DiffIns and DiffDel
)

// DiffOp marks a part of a changed sentence as inserted or deleted; "" is
// a word both versions have.
type DiffOp string

const (
	DiffIns DiffOp = "ins"
	DiffDel DiffOp = "del"
)

// DiffLine is one sentence of a TextDiff.
type DiffLine struct {
	Kind  DiffLineKind `json:"kind"`
	Parts []DiffPart   `json:"parts"`
}

// DiffPart is a run of a sentence's words with one op; Hit parts are words
// that matched a topic.
type DiffPart struct {
	Text string `json:"text"`
	Op   DiffOp `json:"op,omitempty"`
	Hit  bool   `json:"hit,omitempty"`
}

// Empty reports whether the diff has nothing to show.
func (d *TextDiff) Empty() bool { return d == nil || len(d.Lines) == 0 && d.Omitted == 0 }
