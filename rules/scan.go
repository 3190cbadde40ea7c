package rules

import "math/bits"

// scan tokenises one field and records every phrase occurrence in it. The
// trie is walked incrementally: s.live holds the partial phrases that the
// previous token extended, and each token either extends them or ends them,
// so a word costs one look-up of its own plus one per live partial phrase
// it can continue (most words continue none).
func (s *state) scan(e *Engine, field uint8, text string) {
	if len(text) == 0 {
		return
	}
	if len(text) > 1<<31-1 {
		text = text[:1<<31-1]
	}
	tz := &s.tz
	tz.reset(text)
	pos := int32(-1)
	mask := e.pfxLenMask
	live, next := s.live[:0], s.live2[:0]
	// The readings of a token: its word and the prefix terms it has, at
	// most one per length.
	var readings [maxTokenBytes + 1]wordRef
	for tz.scan() {
		if tz.end-tz.start == 1 && tz.possessive() {
			continue
		}
		pos++
		ids := readings[:0]
		if !tz.long {
			h := tz.h
			// The tokenizer hashed most words already; plurals fold.
			if n := len(tz.buf); !tz.hashed || tz.kind == kindLetter && n >= 3 && tz.buf[n-1] == 's' {
				h = tz.hash()
			}
			if e.bloomHas(h) {
				if sl := e.vocabT.get(h); sl != nil {
					ids = append(ids, wordRef{sl.val, sl.aux})
				}
			}
		}
		// Prefix terms: test the hash of each prefix of the word whose
		// length some prefix term has.
		for m := mask & (2<<len(tz.buf) - 2); m != 0; m &= m - 1 {
			h := tz.prefixHash(bits.TrailingZeros64(m))
			if e.bloomHas(h) {
				if sl := e.pfxT.get(h); sl != nil {
					ids = append(ids, wordRef{sl.val, sl.aux})
				}
			}
		}
		if len(ids) == 0 {
			live = live[:0]
			continue
		}
		start, end := int32(tz.start), int32(tz.end)
		// Extend the live partial phrases with this token, then start new
		// ones at it.
		next = next[:0]
		for _, w := range ids {
			if w.id&wordCont == 0 {
				continue // most words continue no phrase
			}
			for _, p := range live {
				sl := e.nextT.get(uint64(p.node)<<32 | uint64(w.id&^wordCont))
				if sl == nil {
					continue
				}
				next = s.enter(e, next, sl.aux, field, p.pos, pos, p.start, end)
			}
		}
		for _, w := range ids {
			// enter, written out for the common case of a word that
			// starts longer phrases only.
			if w.root < 0 {
				continue
			}
			if w.root&refOuts != 0 {
				s.recordNode(e, w.root&refNode, field, pos, pos, start, end)
			}
			if w.root&refKids != 0 {
				next = append(next, partial{node: w.root & refNode, pos: pos, start: start})
			}
		}
		live, next = next, live
	}
	s.live, s.live2 = live, next
}

// wordRef is one reading of a token: a word id (with wordCont) and the
// reference of the trie node it leads to from the root (-1 if none).
type wordRef struct {
	id   int32
	root int32
}

// partial is a phrase begun but not finished: the trie node reached by the
// tokens from the one at pos (starting at byte start) up to the last one.
type partial struct {
	node  int32
	pos   int32
	start int32
}

// enter reaches the node of ref with the tokens first..last (bytes
// start..end): it records the phrases ending there and adds to live the
// partial phrase if the node has children.
func (s *state) enter(e *Engine, live []partial, ref int32, field uint8, first, last, start, end int32) []partial {
	n := ref & refNode
	if ref&refOuts != 0 {
		s.recordNode(e, n, field, first, last, start, end)
	}
	if ref&refKids != 0 {
		live = append(live, partial{node: n, pos: first, start: start})
	}
	return live
}

// recordNode records the phrases that end at trie node n.
func (s *state) recordNode(e *Engine, n int32, field uint8, first, last, start, end int32) {
	for _, ph := range e.outs[e.outStart[n]:e.outStart[n+1]] {
		s.record(ph, field, first, last+1, start, end)
	}
}

func (s *state) record(p int32, field uint8, tokStart, tokEnd, start, end int32) {
	if s.phGen[p] != s.gen {
		s.phGen[p] = s.gen
		s.phHead[p] = -1
		s.phTail[p] = -1
		s.phFields[p] = 0
		s.phCount[p] = 0
		s.touched = append(s.touched, p)
	}
	if s.phCount[p] >= maxOccPerPhrase {
		return
	}
	s.phCount[p]++
	s.phFields[p] |= 1 << field
	i := int32(len(s.occs))
	s.occs = append(s.occs, occ{field: field, tokStart: tokStart, tokEnd: tokEnd, start: start, end: end, next: -1})
	if s.phTail[p] >= 0 {
		s.occs[s.phTail[p]].next = i
	} else {
		s.phHead[p] = i
	}
	s.phTail[p] = i
}
