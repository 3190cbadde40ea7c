package rules

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

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
		dec.DisallowUnknownFields()
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
	ItemID, Title, Topic string
	Kind                 string // "false positive" | "false negative"
}

// Evaluate matches every corpus item (title as the item's title, text as its
// content) and scores each topic of the engine. Labels that name no topic of
// the engine are ignored. A topic with no positives and no predictions
// scores 1: it did nothing wrong.
func Evaluate(e *Engine, corpus []LabelledItem) EvalReport {
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
		for i, t := range topics {
			predicted := slices.ContainsFunc(matches, func(m model.Match) bool { return m.Topic == t.ID })
			labelled := slices.Contains(li.Labels, t.ID)
			switch {
			case predicted && labelled:
				counts[i].TP++
				lc.TP++
			case predicted:
				counts[i].FP++
				lc.FP++
				rep.Mistakes = append(rep.Mistakes, Mistake{ItemID: li.ID, Title: li.Title, Topic: t.ID, Kind: "false positive"})
			case labelled:
				counts[i].FN++
				lc.FN++
				rep.Mistakes = append(rep.Mistakes, Mistake{ItemID: li.ID, Title: li.Title, Topic: t.ID, Kind: "false negative"})
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
