package web

import (
	"fmt"
	"html/template"
)

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"timeline", "alerts", "alert", "search", "documents", "meeting", "sources", "rules", "rulestest", "error"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"add": func(n ...int) int {
		s := 0
		for _, x := range n {
			s += x
		}
		return s
	}}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web view: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}
