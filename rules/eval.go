package rules

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

// LabelledItem is one line of an evaluation corpus: an item and the topics a
// person decided it is about.
type LabelledItem struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Text   string   `json:"text"`
	Labels []string `json:"labels"`
	// Lang is the ISO code of the item's language; empty means English.
	Lang string `json:"lang,omitempty"`
}

// ReadCorpus reads JSON lines of LabelledItem. Blank lines are skipped.
// Fields it does not know (url, source, note ...) are ignored, so that a
// corpus exported from elsewhere can be used as it is.
func ReadCorpus(r io.Reader) ([]LabelledItem, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	var out []LabelledItem
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var it LabelledItem
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&it); err != nil {
			return nil, fmt.Errorf("line %d: not a labelled item (want {\"id\", \"title\", \"text\", \"labels\"}): %w", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("line %d: more than one JSON object on the line", line)
		}
		if it.ID == "" {
			return nil, fmt.Errorf("line %d: id is missing", line)
		}
		if first, dup := seen[it.ID]; dup {
			return nil, fmt.Errorf("line %d: id %q is already used on line %d", line, it.ID, first)
		}
		seen[it.ID] = line
		out = append(out, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

// TopicScore is how well one topic's rules agree with the labels.
type TopicScore struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
}

// EvalReport scores an engine against a labelled corpus.
type EvalReport struct {
	MacroF1 float64               `json:"macro_f1"`
	Topics  map[string]TopicScore `json:"topics"`
	// Languages scores each language's items over all topics together.
	Languages map[string]TopicScore `json:"languages"`
	Mistakes  []Mistake             `json:"-"`
}

// Mistake is an item the rules got wrong for one topic.
type Mistake struct {
	ItemID string `json:"item_id"`
	Title  string `json:"title"`
	Topic  string `json:"topic"`
	Kind   string `json:"kind"` // "false positive" | "false negative"
	// Cause says why, in words that group alike mistakes: the terms that
	// triggered a false positive and where, or whether a missed topic had
	// no hit at all or a score under its threshold.
	Cause string `json:"cause"`
	// Score is the false positive's score, or the missed topic's score
	// under its threshold (0 when it had no hit).
	Score float64 `json:"score,omitempty"`
}

// Evaluate matches every corpus item (title as the item's title, text as its
// content) and scores each topic of the engine. Labels that name no topic of
// the engine are ignored. A topic with no positives and no predictions
// scores 1: it did nothing wrong.
//
// Evaluate cannot tell a topic that had no hit from one that scored under
// its threshold; EvaluatePacks can.
func Evaluate(e *Engine, corpus []LabelledItem) EvalReport {
	return evaluate(e, nil, corpus)
}

// EvaluatePacks compiles packs and evaluates them like Evaluate. It also
// matches each missed item with the thresholds taken away, so that a false
// negative says whether the topic had no hit at all or hits that scored
// too little.
func EvaluatePacks(packs []*Pack, corpus []LabelledItem) (EvalReport, error) {
	e, err := Compile(packs...)
	if err != nil {
		return EvalReport{}, err
	}
	loose := make([]*Pack, len(packs))
	for i, p := range packs {
		loose[i] = p.withoutThresholds()
	}
	le, err := Compile(loose...)
	if err != nil {
		return EvalReport{}, fmt.Errorf("compile the packs without thresholds: %w", err)
	}
	bare := make([]*Pack, len(packs))
	for i, p := range loose {
		bare[i] = p.anyTerm()
	}
	be, err := Compile(bare...)
	if err != nil {
		return EvalReport{}, fmt.Errorf("compile the packs' terms alone: %w", err)
	}
	return evaluate(e, &nearMiss{le, be}, corpus), nil
}

// nearMiss holds the engines that explain a missed topic: loose is the
// rules without thresholds, bare any one of their terms alone.
type nearMiss struct{ loose, bare *Engine }

// anyTerm is a copy of p whose topics hold on any one of their terms,
// whatever their all and none say: what is left when a topic's conditions
// fail although some of its words occur.
func (p *Pack) anyTerm() *Pack {
	q := *p
	q.topics = slices.Clone(p.topics)
	for i := range q.topics {
		if m := q.topics[i].match; m != nil && m.kind == nodeGroup {
			flat := &nodeSpec{line: m.line, kind: nodeGroup}
			var walk func(*nodeSpec)
			walk = func(n *nodeSpec) {
				if n.kind != nodeGroup {
					flat.any = append(flat.any, n)
					return
				}
				for _, c := range n.any {
					walk(c)
				}
				for _, c := range n.all {
					walk(c)
				}
			}
			walk(m)
			q.topics[i].match = flat
		}
	}
	return &q
}

// withoutThresholds is a copy of p whose topics hold at any score above 0.
func (p *Pack) withoutThresholds() *Pack {
	q := *p
	q.topics = slices.Clone(p.topics)
	for i := range q.topics {
		q.topics[i].minScore = math.SmallestNonzeroFloat64
	}
	return &q
}

func evaluate(e *Engine, nm *nearMiss, corpus []LabelledItem) EvalReport {
	topics := e.Topics()
	counts := make([]TopicScore, len(topics))
	rep := EvalReport{Topics: make(map[string]TopicScore, len(topics)), Languages: map[string]TopicScore{}}
	for _, li := range corpus {
		lang := li.Lang
		if lang == "" {
			lang = "en"
		}
		lc := rep.Languages[lang]
		it := model.Item{ID: li.ID, Title: li.Title, Content: li.Text}
		matches := e.Match(&it)
		var looseMatches, bareMatches []model.Match
		looseDone := false
		for i, t := range topics {
			mi := slices.IndexFunc(matches, func(m model.Match) bool { return m.Topic == t.ID })
			predicted := mi >= 0
			labelled := slices.Contains(li.Labels, t.ID)
			switch {
			case predicted && labelled:
				counts[i].TP++
				lc.TP++
			case predicted:
				counts[i].FP++
				lc.FP++
				m := matches[mi]
				rep.Mistakes = append(rep.Mistakes, Mistake{ItemID: li.ID, Title: li.Title, Topic: t.ID, Kind: "false positive",
					Cause: "triggered by " + termsWhere(&it, m.Hits), Score: m.Score})
			case labelled:
				counts[i].FN++
				lc.FN++
				mk := Mistake{ItemID: li.ID, Title: li.Title, Topic: t.ID, Kind: "false negative", Cause: "not matched"}
				if nm != nil {
					if !looseDone {
						looseMatches, bareMatches, looseDone = nm.loose.Match(&it), nm.bare.Match(&it), true
					}
					mk.Cause = "no hit at all"
					isT := func(m model.Match) bool { return m.Topic == t.ID }
					if j := slices.IndexFunc(looseMatches, isT); j >= 0 {
						mk.Cause = "hits below the threshold " + strconv.FormatFloat(t.MinScore, 'g', -1, 64)
						mk.Score = looseMatches[j].Score
					} else if j := slices.IndexFunc(bareMatches, isT); j >= 0 {
						mk.Cause = "only part of its rules held: " + termsWhere(&it, bareMatches[j].Hits)
					}
				}
				rep.Mistakes = append(rep.Mistakes, mk)
			}
		}
		rep.Languages[lang] = lc
	}
	for l, c := range rep.Languages {
		c.Precision = ratio(c.TP, c.TP+c.FP)
		c.Recall = ratio(c.TP, c.TP+c.FN)
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		rep.Languages[l] = c
	}
	sum := 0.0
	for i, t := range topics {
		c := &counts[i]
		c.Precision = ratio(c.TP, c.TP+c.FP)
		c.Recall = ratio(c.TP, c.TP+c.FN)
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		rep.Topics[t.ID] = *c
		sum += c.F1
	}
	if len(topics) > 0 {
		rep.MacroF1 = sum / float64(len(topics))
	}
	return rep
}

// ratio is n/d, and 1 when there was nothing to get wrong.
func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

// A hit counts as in the first paragraph up to the text's first paragraph
// break, and at most leadBytes in: the same opening that salience.go
// gives full weight.

// Places of a hit, most prominent first.
const (
	placeTitle = iota
	placeLead
	placeDeep
)

var placeWords = [...]string{"in the title", "in the first paragraph", "deep in the text"}

// hitPlace says whether a hit is in the title, in the first paragraph
// (the summary, or the text before its first line break and within
// leadBytes) or deep in the text.
func hitPlace(it *model.Item, h model.Hit) int {
	switch h.Field {
	case "title":
		return placeTitle
	case "summary":
		return placeLead
	}
	text := it.Content
	lead := len(text) - len(strings.TrimLeft(text, " \t\r\n"))
	end := len(text)
	if i := strings.IndexByte(text[lead:], '\n'); i >= 0 {
		end = lead + i
	}
	end = min(end, lead+leadBytes)
	if h.Start < end {
		return placeLead
	}
	return placeDeep
}

// termsWhere names the terms of hits and where each stands at its most
// prominent: `"OTT" deep in the text`.
func termsWhere(it *model.Item, hits []model.Hit) string {
	var terms []string
	place := map[string]int{}
	for _, h := range hits {
		term := h.Term
		if term == "" {
			term = h.Text
		}
		p := hitPlace(it, h)
		if q, ok := place[term]; !ok {
			terms = append(terms, term)
			place[term] = p
		} else if p < q {
			place[term] = p
		}
	}
	if len(terms) == 0 {
		return "no term to show"
	}
	// One place for all the terms reads as one phrase; otherwise each term
	// says its own, most prominent first.
	slices.SortStableFunc(terms, func(a, b string) int {
		if place[a] != place[b] {
			return place[a] - place[b]
		}
		return strings.Compare(a, b)
	})
	var b strings.Builder
	same := place[terms[0]] == place[terms[len(terms)-1]]
	for i, t := range terms {
		if i > 0 {
			b.WriteString(", ")
		}
		// Not strconv.Quote: a regex reads as its rule wrote it.
		b.WriteString(`"` + t + `"`)
		if !same {
			b.WriteString(" " + placeWords[place[t]])
		}
	}
	if same {
		b.WriteString(" " + placeWords[place[terms[0]]])
	}
	return b.String()
}

// MistakeGroup is the mistakes of one topic with one cause.
type MistakeGroup struct {
	Topic, Kind, Cause string
	// Items are the item ids in corpus order; a false negative under the
	// threshold carries its score: "n1 (score 2)".
	Items []string
}

// GroupMistakes groups mistakes by topic, kind and cause, largest group
// first, so that a rule change can be judged by which causes it removes.
func GroupMistakes(ms []Mistake) []MistakeGroup {
	var out []MistakeGroup
	idx := map[[3]string]int{}
	for _, m := range ms {
		k := [3]string{m.Topic, m.Kind, m.Cause}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, MistakeGroup{Topic: m.Topic, Kind: m.Kind, Cause: m.Cause})
		}
		id := m.ItemID
		if m.Kind == "false negative" && m.Score > 0 {
			id += " (score " + strconv.FormatFloat(m.Score, 'g', 4, 64) + ")"
		}
		out[i].Items = append(out[i].Items, id)
	}
	slices.SortStableFunc(out, func(a, b MistakeGroup) int {
		if len(a.Items) != len(b.Items) {
			return len(b.Items) - len(a.Items)
		}
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		// "false negative" < "false positive": show what is missed first.
		if c := strings.Compare(b.Kind, a.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Cause, b.Cause)
	})
	return out
}

// TopicChange is one topic's F1 under two packs. A topic only one of them
// defines has InBefore or InAfter false.
type TopicChange struct {
	ID       string  `json:"id"`
	Before   float64 `json:"f1_before"`
	After    float64 `json:"f1_after"`
	InBefore bool    `json:"in_before"`
	InAfter  bool    `json:"in_after"`
}

// Comparison is what changed between two evaluations of the same corpus.
type Comparison struct {
	// Fixed are the old mistakes the new rules no longer make; Broken are
	// the new rules' mistakes the old ones did not make.
	Fixed       []Mistake     `json:"fixed"`
	Broken      []Mistake     `json:"broken"`
	Topics      []TopicChange `json:"topics"` // by id
	MacroBefore float64       `json:"macro_f1_before"`
	MacroAfter  float64       `json:"macro_f1_after"`
}

// Compare lists, item by item, what the after rules fix and break relative
// to the before rules, and each topic's F1 before and after. A mistake is
// the same mistake when it is on the same item and topic: the labels fix
// whether it is a false positive or a false negative.
func Compare(before, after EvalReport) Comparison {
	c := Comparison{MacroBefore: before.MacroF1, MacroAfter: after.MacroF1}
	key := func(m Mistake) [2]string { return [2]string{m.ItemID, m.Topic} }
	had := map[[2]string]bool{}
	for _, m := range before.Mistakes {
		had[key(m)] = true
	}
	has := map[[2]string]bool{}
	for _, m := range after.Mistakes {
		has[key(m)] = true
		if !had[key(m)] {
			c.Broken = append(c.Broken, m)
		}
	}
	for _, m := range before.Mistakes {
		if !has[key(m)] {
			c.Fixed = append(c.Fixed, m)
		}
	}
	byID := map[string]*TopicChange{}
	for id, s := range before.Topics {
		byID[id] = &TopicChange{ID: id, Before: s.F1, InBefore: true}
	}
	for id, s := range after.Topics {
		tc := byID[id]
		if tc == nil {
			tc = &TopicChange{ID: id}
			byID[id] = tc
		}
		tc.After, tc.InAfter = s.F1, true
	}
	for _, tc := range byID {
		c.Topics = append(c.Topics, *tc)
	}
	slices.SortFunc(c.Topics, func(a, b TopicChange) int { return strings.Compare(a.ID, b.ID) })
	return c
}
