package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/rules"
)

type rulesView struct {
	Topics []rules.TopicRules
	Error  string
}

func (h *handler) rulesPage(r *http.Request) (pageData, error) {
	v := rulesView{Topics: h.ruleTopics}
	if len(v.Topics) == 0 {
		v.Error = "No rule pack is loaded here."
	}
	return pageData{Template: "rules", Title: "Rules", Nav: "rules", Data: v}, nil
}

// maxTestText bounds the text the rules test form matches: the address
// carries it, and matching is linear in it.
const maxTestText = 4000

type rulesTestView struct {
	Title, Text string
	Tested      bool
	Matches     []testMatch
	Error       string
}

type testMatch struct {
	Topic, Name, Severity, Score, Terms, Salience string
	Quotes                                        []render.Quote
}

func (h *handler) rulesTestPage(r *http.Request) (pageData, error) {
	q := r.URL.Query()
	v := rulesTestView{Title: strings.TrimSpace(q.Get("title")), Text: strings.TrimSpace(q.Get("text"))}
	page := pageData{Template: "rulestest", Title: "Test the rules", Nav: "rules", Data: &v}
	if v.Text == "" && v.Title == "" {
		return page, nil
	}
	if utf8.RuneCountInString(v.Text)+utf8.RuneCountInString(v.Title) > maxTestText {
		return pageData{}, badRequest{"The text is too long to test here; use at most 4,000 characters, or `ituwatch rules test --text` for more."}
	}
	if h.o.Engine == nil {
		v.Error = "No rules are loaded here."
		return page, nil
	}
	v.Tested = true
	// The same item `ituwatch rules test --text` builds: no source, so
	// topics restricted to some sources still apply.
	it := model.Item{ID: "1", Title: v.Title, Content: v.Text}
	for _, m := range h.o.Engine.Match(&it) {
		view := render.NewAlertView(model.Alert{Item: it, Matches: []model.Match{m}}, render.ViewOptions{})
		if len(view.Matches) == 0 {
			continue
		}
		mv := view.Matches[0]
		v.Matches = append(v.Matches, testMatch{Topic: mv.Topic, Name: mv.Name, Severity: mv.Severity.String(), Score: mv.Score,
			Terms: render.QuoteAll(mv.Terms), Salience: mv.Salience, Quotes: mv.Quotes})
	}
	return page, nil
}
