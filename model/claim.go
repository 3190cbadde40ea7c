package model

import "time"

// ClaimState is where a team stands on an alert.
type ClaimState string

const (
	Claimed ClaimState = "claimed" // someone is on it
	Done    ClaimState = "done"    // handled
)

// Person is someone in a chat: the platform's user id (which never
// changes) and the name shown for them (which may).
type Person struct {
	Platform string `json:"platform"` // slack, matrix, console
	ID       string `json:"id"`       // U0123ABCD, @alice:example.org
	Name     string `json:"name"`     // display name; may be empty
}

// Label is the person's name, or their id when the name is unknown.
func (p Person) Label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

// AlertClaim is who is on an alert, or who closed it and why.
type AlertClaim struct {
	AlertID int64
	State   ClaimState
	By      Person
	Note    string // with done: what was done
	At      time.Time
}

// AlertNote is a team member's note on an alert: a reply in the alert's
// thread that starts with "note:".
type AlertNote struct {
	AlertID   int64
	By        Person
	Text      string
	MessageID string // the platform's id for the reply; a note is stored once
	At        time.Time
}

// NoteReply is a reply in a thread as a platform listener saw it, before it
// is known which alert (if any) the thread belongs to.
type NoteReply struct {
	Platform   string // slack, matrix
	ThreadRoot string // the external id of the thread's first message (Slack ts, Matrix event id)
	MessageID  string
	By         Person
	Text       string // after "note:"
	At         time.Time
}

// PendingEdit is a posted alert message owed an edit because the alert's
// claim changed: the edit shows the claim as it is when the edit is made,
// so edits coalesce and a late one is as good as an early one.
type PendingEdit struct {
	DeliveryID  int64
	AlertID     int64
	Destination string
	ExternalID  string // the posted message (Slack ts, Matrix event id)
	Attempts    int
	Version     int64 // bumped by every new request; an edit made for an older version is redone
	Requested   time.Time
}
