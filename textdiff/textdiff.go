// Package textdiff says what changed between two versions of an item's
// text: the sentences added and removed, and in a sentence that was
// reworded, the words. Policy readers want "the deadline moved from 1 March
// to 15 March", not "text changed". The comparison ignores what
// model.ComparableText calls churn, and its cost is bounded whatever a feed
// sends: inputs are cut, and both the sentence and the word comparisons
// give up after a fixed number of edits.
package textdiff

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// Bounds on the work of one comparison and on the size of its result.
const (
	// MaxInputBytes of each version are compared; the rest is not, and
	// the diff says it is partial.
	MaxInputBytes = 64 << 10
	// maxSentences of each version are compared.
	maxSentences = 2000
	// maxSentenceEdits bounds the sentence comparison (Myers' D): beyond
	// it, sentences are only told apart as present or absent.
	maxSentenceEdits = 400
	// maxWords of a sentence are compared word by word; longer sentences
	// that changed are shown as removed and added.
	maxWords = 300
	// MaxLines of a diff are kept; the rest are counted in Omitted.
	MaxLines = 50
	// maxLineWords of an added or removed sentence are kept.
	maxLineWords = 80
	// contextWords of unchanged words are kept on each side of a change in
	// a reworded sentence.
	contextWords = 6
	// similar is how many of two sentences' words (Dice, in percent) they
	// must share to be shown as one sentence reworded.
	similar = 50
	// contained is how many of the shorter sentence's words (in percent)
	// the longer one must have to be that sentence extended.
	contained = 80
)

// Compare returns what changed from old to new, nil when nothing did
// (churn that model.ComparableText removes is no change).
func Compare(old, new string) *model.TextDiff {
	d := &model.TextDiff{}
	old, cutOld := bound(old)
	new, cutNew := bound(new)
	d.Partial = cutOld || cutNew
	a, b := sentences(old), sentences(new)
	if len(a) > maxSentences || len(b) > maxSentences {
		a, b = a[:min(len(a), maxSentences)], b[:min(len(b), maxSentences)]
		d.Partial = true
	}
	ka, kb := keys(a), keys(b)
	ops, ok := script(ka, kb, maxSentenceEdits)
	if !ok {
		ops = presence(ka, kb)
		d.Partial = true
	}
	ops = dropMoves(ops, ka, kb)
	for _, h := range hunks(ops) {
		emit(d, a, b, h)
	}
	if len(d.Lines) > MaxLines {
		d.Omitted = len(d.Lines) - MaxLines
		d.Lines = d.Lines[:MaxLines:MaxLines]
	}
	if d.Added == 0 && d.Removed == 0 && d.Reworded == 0 {
		return nil
	}
	return d
}

// bound cuts s to MaxInputBytes at a rune boundary.
func bound(s string) (string, bool) {
	if len(s) <= MaxInputBytes {
		return s, false
	}
	i := MaxInputBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// abbreviations end with a full stop that ends no sentence; ITU documents
// are full of "Rev. 1" and "No. 5".
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "no": true, "nos": true, "rev": true, "add": true, "doc": true, "corr": true,
	"mr": true, "ms": true, "mrs": true, "dr": true, "prof": true, "st": true, "vs": true, "cf": true,
	"art": true, "para": true, "fig": true, "vol": true, "res": true, "rec": true, "approx": true, "etc": true,
}

// sentences splits text into sentences: at line breaks, and after a full
// stop, question or exclamation mark followed by white space and a capital,
// a digit or an opening quote, unless the stop ends an abbreviation. White
// space inside a sentence is collapsed.
func sentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		ws := strings.Fields(line)
		start := 0
		for i, w := range ws {
			if i+1 < len(ws) && endsSentence(w) && opensSentence(ws[i+1]) {
				out = append(out, strings.Join(ws[start:i+1], " "))
				start = i + 1
			}
		}
		if start < len(ws) {
			out = append(out, strings.Join(ws[start:], " "))
		}
	}
	return out
}

func endsSentence(w string) bool {
	t := strings.TrimRight(w, `"'”’»)]`)
	if t == "" {
		return false
	}
	switch t[len(t)-1] {
	case '!', '?':
		return true
	case '.':
		word := strings.ToLower(strings.TrimLeft(t[:len(t)-1], `"'“‘«([`))
		return len(word) > 1 && !abbreviations[word]
	}
	return false
}

func opensSentence(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune(`"'“‘«([`, r)
}

// keys are the sentences as compared: churn removed.
func keys(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = model.ComparableText(s)
	}
	return out
}

type opKind uint8

const (
	opEq opKind = iota
	opDel
	opIns
)

// op is one step of an edit script: a[i] kept as b[j], a[i] deleted, or
// b[j] inserted (the other index is where it stands).
type op struct {
	kind opKind
	i, j int
}

// script is Myers' shortest edit script from a to b, or false when it
// needs more than maxD edits. Its cost is O((len(a)+len(b))·D) time and
// O(D²) memory beyond the common prefix and suffix.
func script(a, b []string, maxD int) ([]op, bool) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []op
	for k := 0; k < pre; k++ {
		ops = append(ops, op{opEq, k, k})
	}
	mid, ok := myers(a[pre:len(a)-suf], b[pre:len(b)-suf], maxD)
	if !ok {
		return nil, false
	}
	for _, o := range mid {
		ops = append(ops, op{o.kind, o.i + pre, o.j + pre})
	}
	for k := suf; k > 0; k-- {
		ops = append(ops, op{opEq, len(a) - k, len(b) - k})
	}
	return ops, true
}

func myers(a, b []string, maxD int) ([]op, bool) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		var ops []op
		for i := range a {
			ops = append(ops, op{opDel, i, 0})
		}
		for j := range b {
			ops = append(ops, op{opIns, n, j})
		}
		return ops, n+m <= maxD
	}
	limit := min(n+m, maxD)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	for d := 0; d <= limit; d++ {
		// Only the diagonals round d can read are kept for the way back.
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, n, m), true
			}
		}
	}
	return nil, false
}

// backtrack walks the trace from (n, m) back to (0, 0). trace[d] holds
// the diagonals -d-1..d+1 as they stood before round d.
func backtrack(trace [][]int, n, m int) []op {
	var rev []op
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d+1] }
		k := x - y
		var prevK int
		if d == 0 {
			prevK = k // the first snake starts at (0, 0)
		} else if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := 0
		if d > 0 {
			prevX = at(prevK)
		}
		prevY := prevX - prevK
		if d > 0 {
			// the snake of round d started one edit after (prevX, prevY)
			sx, sy := prevX, prevY
			if prevK == k+1 {
				sy++
			} else {
				sx++
			}
			for x > sx && y > sy {
				x--
				y--
				rev = append(rev, op{opEq, x, y})
			}
			if prevK == k+1 {
				rev = append(rev, op{opIns, prevX, prevY})
			} else {
				rev = append(rev, op{opDel, prevX, prevY})
			}
		} else {
			for x > 0 && y > 0 {
				x--
				y--
				rev = append(rev, op{opEq, x, y})
			}
		}
		x, y = prevX, prevY
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

// presence is the edit script of last resort, in linear time: the
// sentences of a that b lacks are deleted, those of b that a lacks are
// inserted, the rest kept, counted as multisets.
func presence(a, b []string) []op {
	have := make(map[string]int, len(a))
	for _, s := range a {
		have[s]++
	}
	for _, s := range b {
		have[s]--
	}
	var ops []op
	left := map[string]int{}
	for i, s := range a {
		if have[s] > left[s] {
			left[s]++
			ops = append(ops, op{opDel, i, 0})
		}
	}
	want := map[string]int{}
	for s, n := range have {
		if n < 0 {
			want[s] = -n
		}
	}
	for j, s := range b {
		if want[s] > 0 {
			want[s]--
			ops = append(ops, op{opIns, len(a), j})
		}
	}
	return ops
}

// dropMoves removes the deletions and insertions of the same sentence: a
// sentence that only moved is neither added nor removed.
func dropMoves(ops []op, a, b []string) []op {
	ins := map[string]int{}
	for _, o := range ops {
		if o.kind == opIns {
			ins[b[o.j]]++
		}
	}
	moved := map[string]int{}
	for _, o := range ops {
		if o.kind == opDel && ins[a[o.i]] > 0 {
			ins[a[o.i]]--
			moved[a[o.i]]++
		}
	}
	if len(moved) == 0 {
		return ops
	}
	del := maps2(moved)
	out := ops[:0:0]
	for _, o := range ops {
		switch {
		case o.kind == opDel && del[a[o.i]] > 0:
			del[a[o.i]]--
		case o.kind == opIns && moved[b[o.j]] > 0:
			moved[b[o.j]]--
		default:
			out = append(out, o)
		}
	}
	return out
}

func maps2(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// hunk is a run of deleted and inserted sentences between kept ones.
type hunk struct{ del, ins []int }

func hunks(ops []op) []hunk {
	var out []hunk
	var cur hunk
	flush := func() {
		if len(cur.del)+len(cur.ins) > 0 {
			out = append(out, cur)
		}
		cur = hunk{}
	}
	for _, o := range ops {
		switch o.kind {
		case opEq:
			flush()
		case opDel:
			cur.del = append(cur.del, o.i)
		case opIns:
			cur.ins = append(cur.ins, o.j)
		}
	}
	flush()
	return out
}

// emit adds a hunk's lines to d: each deleted sentence that is much like
// an inserted one (in order) is shown as that sentence reworded, the others
// as removed or added, in the order of the new text.
func emit(d *model.TextDiff, a, b []string, h hunk) {
	pair := make(map[int]int, len(h.del)) // ins index -> del index
	next := 0
	for _, i := range h.del {
		for j := next; j < len(h.ins); j++ {
			if _, taken := pair[h.ins[j]]; !taken && alike(a[i], b[h.ins[j]]) {
				pair[h.ins[j]] = i
				next = j + 1
				break
			}
		}
	}
	paired := make(map[int]bool, len(pair))
	for _, i := range pair {
		paired[i] = true
	}
	di := 0
	flushDel := func(upTo int) { // removed sentences before a[upTo]
		for ; di < len(h.del) && h.del[di] < upTo; di++ {
			if !paired[h.del[di]] {
				d.Lines = append(d.Lines, whole(model.DiffRemoved, a[h.del[di]]))
				d.Removed++
			}
		}
	}
	for n, j := range h.ins {
		if i, ok := pair[j]; ok {
			flushDel(i)
			d.Lines = append(d.Lines, reworded(a[i], b[j]))
			d.Reworded++
			continue
		}
		// Removed sentences come before the added ones that replace
		// them, up to the next reworded sentence.
		upTo := len(a)
		for _, later := range h.ins[n:] {
			if i, ok := pair[later]; ok {
				upTo = i
				break
			}
		}
		flushDel(upTo)
		d.Lines = append(d.Lines, whole(model.DiffAdded, b[j]))
		d.Added++
	}
	flushDel(len(a))
}

// alike reports whether two sentences share enough words to be one
// sentence reworded.
func alike(x, y string) bool {
	wx, wy := strings.Fields(strings.ToLower(x)), strings.Fields(strings.ToLower(y))
	if len(wx) == 0 || len(wy) == 0 || len(wx) > maxWords || len(wy) > maxWords {
		return false
	}
	count := make(map[string]int, len(wx))
	for _, w := range wx {
		count[w]++
	}
	common := 0
	for _, w := range wy {
		if count[w] > 0 {
			count[w]--
			common++
		}
	}
	// Alike when they share most words, or when one is the other with a
	// clause added or cut.
	return 200*common >= similar*(len(wx)+len(wy)) || 100*common >= contained*min(len(wx), len(wy)) && min(len(wx), len(wy)) >= 3
}

// whole is a sentence added or removed, cut to maxLineWords.
func whole(kind model.DiffLineKind, s string) model.DiffLine {
	ws := strings.Fields(s)
	if len(ws) > maxLineWords {
		ws = append(ws[:maxLineWords:maxLineWords], "…")
	}
	return model.DiffLine{Kind: kind, Parts: []model.DiffPart{{Text: strings.Join(ws, " ")}}}
}

// reworded is a sentence changed word by word: the words both versions
// have are kept only near a change.
func reworded(old, new string) model.DiffLine {
	a, b := strings.Fields(old), strings.Fields(new)
	ops, ok := script(a, b, 2*maxWords)
	if !ok { // cannot happen within maxWords a side, but stay bounded
		return whole(model.DiffAdded, new)
	}
	line := model.DiffLine{Kind: model.DiffChanged}
	add := func(text string, o model.DiffOp) {
		if n := len(line.Parts); n > 0 && line.Parts[n-1].Op == o {
			line.Parts[n-1].Text += text
			return
		}
		line.Parts = append(line.Parts, model.DiffPart{Text: text, Op: o})
	}
	for k := 0; k < len(ops); {
		if ops[k].kind != opEq {
			var w string
			o := model.DiffIns
			if ops[k].kind == opDel {
				w, o = a[ops[k].i], model.DiffDel
			} else {
				w = b[ops[k].j]
			}
			if len(line.Parts) > 0 {
				if last := line.Parts[len(line.Parts)-1]; last.Op == o {
					add(" "+w, o)
				} else {
					add(" ", "")
					add(w, o)
				}
			} else {
				add(w, o)
			}
			k++
			continue
		}
		// A run of kept words: clip it to the context of the changes
		// around it.
		e := k
		for e < len(ops) && ops[e].kind == opEq {
			e++
		}
		run := make([]string, 0, e-k)
		for _, o := range ops[k:e] {
			run = append(run, b[o.j])
		}
		first, last := k == 0, e == len(ops)
		var text string
		switch {
		case first && len(run) > contextWords:
			text = "… " + strings.Join(run[len(run)-contextWords:], " ")
		case last && len(run) > contextWords:
			text = strings.Join(run[:contextWords], " ") + " …"
		case !first && !last && len(run) > 2*contextWords+1:
			text = strings.Join(run[:contextWords], " ") + " … " + strings.Join(run[len(run)-contextWords:], " ")
		default:
			text = strings.Join(run, " ")
		}
		if !first {
			text = " " + text
		}
		add(text, "")
		k = e
	}
	return line
}
