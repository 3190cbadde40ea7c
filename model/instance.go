package model

import "time"

// Instance is one running `ituwatch run` process sharing a store with
// others. Each writes its row at start and refreshes LastSeen every few
// seconds; the one holding the leader lock marks itself Leader.
type Instance struct {
	ID          string    `json:"id"`
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
	Version     string    `json:"version"`
	StartedAt   time.Time `json:"started_at"`
	LastSeen    time.Time `json:"last_seen"`
	Leader      bool      `json:"leader"`
	LeaderSince time.Time `json:"leader_since,omitzero"`
}
