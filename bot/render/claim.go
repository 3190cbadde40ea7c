package render

import (
	"github.com/ituwatch/ituwatch/model"
)

// maxClaimNoteRunes bounds the note shown with "done" in an alert and a
// list; notes shows it whole.
const maxClaimNoteRunes = 200

// ClaimView is who is on an alert or closed it, as people are shown it.
// By is a display name, cleaned and cut, never a platform mention: showing
// who claimed an alert must not notify anyone.
type ClaimView struct {
	State model.ClaimState
	By    string
	Note  string // with done
}

// NewClaimView is c as shown; nil for nil.
func NewClaimView(c *model.AlertClaim) *ClaimView {
	if c == nil || c.State == "" {
		return nil
	}
	return &ClaimView{
		State: c.State,
		By:    Clip(c.By.Label(), MaxShortRunes),
		Note:  Clip(c.Note, maxClaimNoteRunes),
	}
}

// Line is "claimed by Alice Example" or "done by Alice Example — answered".
func (c *ClaimView) Line() string {
	if c == nil {
		return ""
	}
	if c.State == model.Done {
		s := "done by " + c.By
		if c.Note != "" {
			s += " — " + c.Note
		}
		return s
	}
	return "claimed by " + c.By
}
