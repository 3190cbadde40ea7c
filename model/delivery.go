package model

import (
	"fmt"
	"strings"
	"time"
)

// DeliveryStatus is where a delivery stands in the outbox.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed" // permanent: the destination refused it
)

// Delivery is one alert owed to one destination. It is written in the same
// transaction as the alert, so an alert can never exist without its
// deliveries, and it is marked delivered only after the platform accepted it.
type Delivery struct {
	ID          int64          `json:"id"`
	AlertID     int64          `json:"alert_id"`
	Destination string         `json:"destination"` // "console", "slack:#itu-alerts", "matrix:!room:example.org"
	Status      DeliveryStatus `json:"status"`
	Attempts    int            `json:"attempts"`
	NextAttempt time.Time      `json:"next_attempt,omitzero"`
	LastError   string         `json:"last_error,omitempty"`
	ExternalID  string         `json:"external_id,omitempty"` // Slack ts, Matrix event id
	CreatedAt   time.Time      `json:"created_at"`
	DeliveredAt time.Time      `json:"delivered_at,omitzero"`
	// HeldSince is when the destination refused this delivery because the
	// bot is not in the channel or room yet; zero when it is not held. A
	// held delivery is still pending: it goes out once the bot is let in.
	HeldSince time.Time `json:"held_since,omitzero"`
}

// Destination names a place alerts go: a platform and a target on it.
type Destination struct {
	Platform string // console, slack, matrix
	Target   string // channel or room; empty for console
}

func (d Destination) String() string {
	if d.Target == "" {
		return d.Platform
	}
	return d.Platform + ":" + d.Target
}

// ParseDestination reads "console", "slack:#channel", "slack:C0123",
// "matrix:!room:example.org" or "matrix:#alias:example.org".
func ParseDestination(s string) (Destination, error) {
	s = strings.TrimSpace(s)
	platform, target, _ := strings.Cut(s, ":")
	switch platform {
	case "console":
		if target != "" {
			return Destination{}, fmt.Errorf("destination %q: console takes no target; write just \"console\"", s)
		}
		return Destination{Platform: "console"}, nil
	case "slack":
		if target == "" {
			return Destination{}, fmt.Errorf("destination %q: name a channel, e.g. \"slack:#itu-alerts\" or \"slack:C0123ABCD\"", s)
		}
		return Destination{Platform: "slack", Target: target}, nil
	case "matrix":
		// "@user:server" is that person's direct messages (a follow).
		if !(strings.HasPrefix(target, "!") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "@")) || !strings.Contains(target, ":") {
			return Destination{}, fmt.Errorf("destination %q: name a room id or alias, e.g. \"matrix:!abc123:example.org\"", s)
		}
		return Destination{Platform: "matrix", Target: target}, nil
	}
	return Destination{}, fmt.Errorf("destination %q: unknown platform %q (want console, slack:… or matrix:…)", s, platform)
}
