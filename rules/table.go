package rules

import "math/bits"

// table maps uint64 keys to pairs of int32 values with open addressing. It
// is built once by Compile and only read by Match, where it replaces Go maps
// on the hottest path (a lookup per word of text). A slot carries what the
// next step needs (a word's id and its trie node from the root, or a trie
// node and its flags), so that most words cost one memory access.
type table struct {
	slots []slot
	shift uint
	mask  uint64
}

type slot struct {
	key uint64
	val int32 // -1: empty
	aux int32
}

// newTable holds the keys of m, each with its value and aux(key, value).
func newTable(m map[uint64]int32, aux func(k uint64, v int32) int32) table {
	size := 1 << bits.Len(uint(max(8, 2*len(m))))
	t := table{slots: make([]slot, size), shift: uint(64 - bits.Len(uint(size-1))), mask: uint64(size - 1)}
	for i := range t.slots {
		t.slots[i].val = -1
	}
	for k, v := range m {
		i := t.index(k)
		for t.slots[i].val >= 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = slot{key: k, val: v, aux: aux(k, v)}
	}
	return t
}

func (t *table) index(k uint64) uint64 {
	return (k * 0x9E3779B97F4A7C15) >> t.shift
}

// get returns the slot of k, or nil.
func (t *table) get(k uint64) *slot {
	if len(t.slots) == 0 {
		return nil
	}
	for i := t.index(k); ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.val < 0 {
			return nil
		}
		if s.key == k {
			return s
		}
	}
}
