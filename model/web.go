package model

import "time"

// AlertTopic is one topic one alert matched, and when the alert was made:
// the web view's timeline counts these by week.
type AlertTopic struct {
	AlertID int64
	Topic   string
	At      time.Time
}

// DocumentItem is a stored item that is an ITU document, as the web view's
// documents page lists it: the item without its text, its latest alert and
// that alert's topics, and where the store's incremental reads stand.
type DocumentItem struct {
	Item     Item // Content and Summary are left empty
	AlertID  int64
	Topics   []string
	LastSeen time.Time
	RowID    int64
}
