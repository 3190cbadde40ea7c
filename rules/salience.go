package rules

import "fmt"

// Salience: a topic word in one sentence of a long text about something
// else is a passing mention, not the subject. For texts longer than
// longTextBytes (summary and content together), a topic that holds is
// weighed by where its words stand:
//
//   - a topic word in the title or in the first leadBytes of the summary or
//     content: full score (the text is about it);
//   - topic words only further down: full score when they stand in at least
//     repeatPlaces places, or in two places one of which is within
//     contextBytes of a context word (ITU, a study group, a conference);
//     half the score in two places; none in one (a passing mention).
//
// The topic then needs its min_score after the factor. Context words
// (sets named *context*) never make a text salient on their own: every
// ITU document mentions the ITU.
const (
	longTextBytes = 1500
	leadBytes     = 500
	repeatPlaces  = 3
	contextBytes  = 150
)

// salience weighs the hits collected by the last collectHits.
func (s *state) salience(fields *[numFields]string) (float64, string) {
	if len(fields[fieldSummary])+len(fields[fieldContent]) <= longTextBytes {
		return 1, ""
	}
	places, nearCtx := 0, false
	for i := range s.hits {
		h := &s.hits[i]
		if h.context {
			continue
		}
		if h.field == fieldTitle {
			return 1, "in the title"
		}
		if h.start < leadBytes {
			return 1, "in the opening of a long text"
		}
		dup := false
		for j := range i {
			if o := &s.hits[j]; !o.context && o.field == h.field && o.start == h.start {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		places++
		if places >= repeatPlaces {
			// Enough: stop here, a text can have thousands of hits.
			return 1, fmt.Sprintf("%d places, deep in a long text", places)
		}
		for j := range s.hits {
			if c := &s.hits[j]; c.context && c.field == h.field && abs32(c.start-h.start) <= contextBytes {
				nearCtx = true
			}
		}
	}
	switch {
	case places == 0:
		return 1, ""
	case places >= repeatPlaces:
		return 1, fmt.Sprintf("%d places, deep in a long text", places)
	case places == 2 && nearCtx:
		return 1, "2 places, deep in a long text, near ITU context words"
	case places == 2:
		return 0.5, "2 places, deep in a long text: score × 0.5"
	}
	return 0, "once, deep in a long text: a passing mention"
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}
