package rules

import (
	"cmp"
	"slices"
)

// eval says whether node n holds for the item and with what score.
func (s *state) eval(e *Engine, n int32, fields *[numFields]string) (bool, float64) {
	nd := &e.nodes[n]
	if nd.kind != nodeGroup {
		l := &e.leaves[nd.leaf]
		switch l.kind {
		case nodeTerms:
			if s.leafGen[nd.leaf] != s.gen || s.leafCount[nd.leaf] == 0 {
				return false, 0
			}
			return true, l.weight * float64(s.leafCount[nd.leaf])
		case nodeNear:
			if s.leafGen[nd.leaf] != s.gen || s.leafMask[nd.leaf] != l.full {
				return false, 0
			}
			if s.nearWindow(l) {
				return true, l.weight
			}
			return false, 0
		case nodeRegex:
			if s.reGen[nd.leaf] != s.gen {
				s.reGen[nd.leaf] = s.gen
				s.reHit[nd.leaf] = false
				for f, text := range fields {
					if l.fields&(1<<f) == 0 || text == "" {
						continue
					}
					if s.regexMatches(l, f, fields) {
						s.reHit[nd.leaf] = true
						break
					}
				}
			}
			if s.reHit[nd.leaf] {
				return true, l.weight
			}
			return false, 0
		}
		return false, 0
	}
	ok, score := true, 0.0
	if len(nd.any) > 0 {
		anyOK := false
		for _, c := range nd.any {
			if m, sc := s.eval(e, c, fields); m {
				anyOK = true
				score += sc
			}
		}
		ok = anyOK
	}
	if ok {
		for _, c := range nd.all {
			m, sc := s.eval(e, c, fields)
			if !m {
				ok = false
				break
			}
			score += sc
		}
	}
	if ok {
		for _, c := range nd.none {
			if m, _ := s.eval(e, c, fields); m {
				ok = false
				break
			}
		}
	}
	return ok, score
}

// nearWindow looks for one occurrence of every group of a near leaf, all in
// one field, with at most within words between the end of the earliest-ending
// and the start of the latest-starting. The sweep visits occurrences by start
// and keeps, per group, the furthest-reaching one seen so far: whenever every
// group has one, that is the tightest window ending at the current start.
// The occurrences of the window found are left in s.bestOcc.
func (s *state) nearWindow(l *cleaf) bool {
	s.near = s.near[:0]
	for g, terms := range l.groups {
		for _, t := range terms {
			p := t.phrase
			if s.phGen[p] != s.gen || s.phFields[p]&l.fields == 0 {
				continue
			}
			for o := s.phHead[p]; o >= 0; o = s.occs[o].next {
				oc := &s.occs[o]
				if l.fields&(1<<oc.field) == 0 {
					continue
				}
				s.near = append(s.near, nearOcc{field: oc.field, start: oc.tokStart, end: oc.tokEnd, group: int32(g), occ: o})
			}
		}
	}
	slices.SortFunc(s.near, func(a, b nearOcc) int {
		if a.field != b.field {
			return cmp.Compare(a.field, b.field)
		}
		return cmp.Compare(a.start, b.start)
	})
	groups := len(l.groups)
	field := uint8(255)
	for _, o := range s.near {
		if o.field != field {
			field = o.field
			for g := range groups {
				s.bestEnd[g] = -1
			}
		}
		if o.end > s.bestEnd[o.group] {
			s.bestEnd[o.group] = o.end
			s.bestOcc[o.group] = o.occ
		}
		minEnd := int32(1<<31 - 1)
		for g := range groups {
			minEnd = min(minEnd, s.bestEnd[g])
		}
		if minEnd < 0 {
			continue
		}
		if o.start-minEnd <= l.within {
			return true
		}
	}
	return false
}
