package model

import (
	"strings"
	"time"
)

const (
	// DeliveryMuted is a delivery a mute of its destination matched: stored
	// with its alert, so the alert stays searchable and the digest can say
	// how many were muted, but never sent.
	DeliveryMuted DeliveryStatus = "muted"
	// DeliverySnoozed is an update of an alert its destination snoozed:
	// never sent itself; when the snooze ends, one update sums up the
	// snoozed ones.
	DeliverySnoozed DeliveryStatus = "snoozed"
)

// AlertNotice is a message of ituwatch itself to one destination (a mute
// that ended), sent through the outbox like an alert so that it goes out
// once. Its Item carries the words; it has no matches.
const AlertNotice AlertKind = "notice"

// MuteKind says what a mute matches.
type MuteKind string

const (
	MuteTopic  MuteKind = "topic"  // alerts whose every topic is this one
	MuteSource MuteKind = "source" // alerts of sources whose id matches this glob
	MutePhrase MuteKind = "phrase" // alerts whose item contains the phrase, matched like topic phrases
)

// Mute keeps one kind of alert from one destination for a while.
type Mute struct {
	ID          int64     `json:"id"`
	Destination string    `json:"destination"`
	Kind        MuteKind  `json:"kind"`
	Value       string    `json:"value"`
	Reason      string    `json:"reason,omitempty"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"` // zero: until unmuted
}

// Snooze holds the updates of one alert from one destination until Until.
type Snooze struct {
	AlertID     int64
	Destination string
	Until       time.Time
	CreatedBy   string
}

// FollowKind says what a follow matches.
type FollowKind string

const (
	FollowWords    FollowKind = "words"    // a phrase, matched like topic phrases
	FollowDocument FollowKind = "document" // an ITU document number: every revision and language
	FollowProposer FollowKind = "proposer" // a proposer of the document (canonical name), or a sector member by its words
)

// Follow is one person's own watch, delivered to their direct messages.
type Follow struct {
	ID          int64      `json:"id"`
	Destination string     `json:"destination"` // "slack:@U0123ABCD", "matrix:@alice:example.org", "console"
	Kind        FollowKind `json:"kind"`
	Value       string     `json:"value"`
	CreatedAt   time.Time  `json:"created_at"`
}

// FollowTopic is the topic id of the matches a follow adds to an alert.
const FollowTopic = "follow"

// IsDirect reports whether a destination is a person's direct messages
// ("slack:@U0123ABCD", "matrix:@alice:example.org") rather than a channel.
func (d Destination) IsDirect() bool {
	return strings.HasPrefix(d.Target, "@")
}
