package model

import "time"

// AlertDigest is one page of a digest: the alerts a destination asked to
// receive together, at the end of a period, instead of one by one. A digest
// too long for one message is several alerts of this kind, the pages after
// the first threaded under it (ParentID), each sent once through the outbox.
const AlertDigest AlertKind = "digest"

// Digest is one page of a digest as stored with its alert: built when the
// period closes, so that a retried or restarted send posts the same words.
type Digest struct {
	Destination string        `json:"destination"`
	Schedule    string        `json:"schedule"`       // daily, weekly or a cron spec, as configured
	Timezone    string        `json:"timezone"`       // IANA name the schedule runs in
	Start       time.Time     `json:"start,omitzero"` // the previous digest's end; zero for the first
	End         time.Time     `json:"end"`            // when the period closed
	Page        int           `json:"page"`           // from 1
	Pages       int           `json:"pages"`          // pages of the whole digest
	Alerts      int           `json:"alerts"`         // alerts in the whole digest
	Muted       int           `json:"muted"`          // matches muted at the destination in the period
	Topics      []DigestTopic `json:"topics"`         // on this page, in order
}

// DigestTopic is one topic's part of a digest page. A topic whose stories
// do not fit on one page continues on the next, Continued set there.
type DigestTopic struct {
	Topic     string        `json:"topic"`
	Name      string        `json:"name,omitempty"`
	Alerts    int           `json:"alerts"` // the topic's alerts in the whole digest
	Continued bool          `json:"continued,omitempty"`
	Stories   []DigestStory `json:"stories"`
}

// DigestStory is one story or document of a digest: its alerts of the
// period, told once, the newest version's title first.
type DigestStory struct {
	AlertID   int64        `json:"alert_id"` // the story's newest alert in the period
	Title     string       `json:"title"`
	Link      string       `json:"link,omitempty"`
	Source    string       `json:"source"`
	Severity  Severity     `json:"severity,omitempty"`
	Latest    time.Time    `json:"latest"`
	Alerts    int          `json:"alerts"`              // its alerts in the period: the first and its updates
	Document  *DocumentRef `json:"document,omitempty"`  // newest version, for ITU documents
	Revisions []string     `json:"revisions,omitempty"` // revisions seen in the period, oldest first
	AlsoBy    []string     `json:"also_by,omitempty"`   // other outlets of the story
}

// DigestEntry is one alert owed to a destination's digest, as the store
// gives it to the digest builder.
type DigestEntry struct {
	AlertID   int64
	ParentID  int64 // the story's first alert; 0 when this is it
	Item      Item
	Matches   []Match // topic, name and severity only
	AlsoBy    []string
	CreatedAt time.Time
}

// DigestPlan is when a destination's digest closes.
type DigestPlan struct {
	Destination string
	Schedule    string // daily, weekly or a cron spec
	Timezone    string // IANA name; "" is UTC
}

// ChannelDigest is a digest a channel asked for in chat: its alerts on the
// topics (all when empty) go into it instead of being posted one by one.
type ChannelDigest struct {
	Destination string
	Schedule    string
	Timezone    string
	Topics      []string
}
