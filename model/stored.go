package model

import (
	"errors"
	"time"
)

// The shapes in this file are what the store is asked and answers. They
// live here, not in package store, so that the interfaces of the pipeline
// and the bot speak the domain and a second store (PostgreSQL) need not
// import the first.

// ErrNotFound is returned when an asked-for record does not exist.
var ErrNotFound = errors.New("not found")

// PriorItem is what the store remembers of an item, for deciding whether a
// polled item is new, unchanged or an update.
type PriorItem struct {
	Item         Item
	Fingerprint  string
	FirstAlertID int64 // 0 if the item never alerted
	LastAlertID  int64
	FirstSeen    time.Time
}

// ItemSave is one item to remember and, optionally, the alert it raised.
type ItemSave struct {
	Item         Item
	Fingerprint  string
	Alert        *Alert   // nil: store or update the item only
	Destinations []string // one pending delivery per destination, for Alert
	// Muted lists destinations a mute keeps Alert from: each gets a
	// delivery with status DeliveryMuted, never sent.
	Muted []string
	// DigestDestinations receive Alert in their next digest instead of
	// one by one: no delivery, an entry owed to their digest.
	DigestDestinations []string
	// JoinAlertID, when Alert is nil, files the item under that alert as
	// another report of the same story: no new alert, and the item's source
	// is added to the alert's "also reported by".
	JoinAlertID int64
}

// StoryCandidate is a recent first alert that a newly seen item may be
// another report of.
type StoryCandidate struct {
	AlertID     int64
	SourceID    string
	Link        string
	Title       string
	HasDocument bool // an ITU document: its number, not its title, is its identity
	CreatedAt   time.Time
}

// SearchHit is one item found by a search.
type SearchHit struct {
	Item    Item
	AlertID int64    // 0 if the item never alerted
	Topics  []string // topics of its latest alert
	Snippet Snippet  // the matched words as Hit parts
}

// DestinationStatus summarises the outbox for one destination, for the
// status command.
type DestinationStatus struct {
	Destination   string
	Pending       int
	Failed        int
	OldestPending time.Time // zero if none pending
	LastError     string
	LastDelivered time.Time
	// HeldSince is set when the destination's first pending delivery is held
	// because the bot is not in the channel or room yet: every pending
	// delivery to it waits for the invite. HeldReason is what the platform
	// answered, saying whom to invite where.
	HeldSince  time.Time
	HeldReason string
}

// SearchCoverage says how much of the store a search read. A search gives
// up on older items after its time budget (a phrase of common words can
// take seconds to rule out over a million items), so "nothing found" or a
// short list may not be the whole answer; Searched says how many of the
// newest items were read when Partial.
type SearchCoverage struct {
	Partial  bool
	Searched int64
}
