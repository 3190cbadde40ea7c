package rules

import "math/bits"

// table maps uint64 keys to int32 values with open addressing. It is built
// once by Compile and only read by Match, where it replaces Go maps on the
// hottest path (a lookup per word of text).
type table struct {
	slots []slot
	shift uint
	mask  uint64
}

type slot struct {
	key uint64
	val int32 // -1: empty
}

func newTable(m map[uint64]int32) table {
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
		t.slots[i] = slot{k, v}
	}
	return t
}

func (t *table) index(k uint64) uint64 {
	return (k * 0x9E3779B97F4A7C15) >> t.shift
}

func (t *table) get(k uint64) (int32, bool) {
	if len(t.slots) == 0 {
		return -1, false
	}
	for i := t.index(k); ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.val < 0 {
			return -1, false
		}
		if s.key == k {
			return s.val, true
		}
	}
}
