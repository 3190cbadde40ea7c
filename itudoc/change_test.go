package itudoc

import (
	"slices"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

func TestChanges(t *testing.T) {
	c2651 := model.DocumentRef{Number: "C26/51", Languages: []string{"en"}}
	tests := []struct {
		name      string
		prev, cur *model.DocumentRef
		want      []string
	}{
		{"not documents", nil, nil, nil},
		{"was not a document", nil, &c2651, nil},
		{"same", &c2651, &c2651, nil},
		{"revision and French", &c2651, &model.DocumentRef{Number: "C26/51", Revision: "Rev.1", Languages: []string{"en", "fr"}},
			[]string{"revised (Rev.1)", "new language version: French"}},
		{"revision withdrawn says nothing", &model.DocumentRef{Number: "C26/51", Revision: "Rev.1"}, &model.DocumentRef{Number: "C26/51"}, nil},
		{"an addendum already seen says nothing", &model.DocumentRef{Number: "C26/51(Add.2)", Addendum: "Add.2"},
			&model.DocumentRef{Number: "C26/51(Add.2)", Addendum: "Add.2", Revision: "Rev.1"}, []string{"revised (Rev.1)"}},
		{"addendum", &c2651, &model.DocumentRef{Number: "C26/51", Addendum: "Add.2", Languages: []string{"en"}}, []string{"addendum (Add.2)"}},
		{"two languages, one unknown", &c2651, &model.DocumentRef{Number: "C26/51", Languages: []string{"en", "zh", "xx"}},
			[]string{"new language version: Chinese, xx"}},
		{"a language dropped says nothing", &model.DocumentRef{Number: "C26/51", Languages: []string{"en", "fr"}}, &c2651, nil},
	}
	for _, tt := range tests {
		if got := Changes(tt.prev, tt.cur); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Changes = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRevisionNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{{"", 0}, {"Rev.1", 1}, {"Rev.2", 2}, {"Rev.10", 10}, {"Add.3", 3}, {"Rev.x", 0}}
	for _, tt := range tests {
		if got := RevisionNumber(tt.in); got != tt.want {
			t.Errorf("RevisionNumber(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestLabel(t *testing.T) {
	tests := []struct {
		in   *model.DocumentRef
		want string
	}{
		{nil, ""},
		{&model.DocumentRef{}, ""},
		{&model.DocumentRef{Number: "C20/51", Languages: []string{"en"}}, "C20/51"},
		{&model.DocumentRef{Number: "C20/51", Revision: "Rev.1"}, "C20/51 Rev.1"},
		{&model.DocumentRef{Number: "C23/51(Add.1)", Revision: "Rev.2", Addendum: "Add.1"}, "C23/51(Add.1) Rev.2"},
		{&model.DocumentRef{Number: "C23/51", Addendum: "Add.1"}, "C23/51 Add.1"},
	}
	for _, tt := range tests {
		if got := Label(tt.in); got != tt.want {
			t.Errorf("Label(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParent(t *testing.T) {
	tests := []struct {
		in, number, line string
	}{
		{"C26/51(Add.2)-E", "C26/51", "Addendum 2 to C26/51"},
		{"PP-22 Doc 45(Corr.1)", "PP22/45", "Corrigendum 1 to PP22/45"},
		{"S22-CL-C-0065!A1!MSW-E", "C22/65", "Addendum 1 to C22/65"},
		{"C26/51(Rev.1)-E", "", ""},
	}
	for _, tt := range tests {
		ref, ok := Parse(tt.in)
		if !ok {
			t.Fatalf("Parse(%q) failed", tt.in)
		}
		number, line, ok := Parent(ref)
		if number != tt.number || line != tt.line || ok != (tt.number != "") {
			t.Errorf("Parent(%q) = %q, %q, %v; want %q, %q", tt.in, number, line, ok, tt.number, tt.line)
		}
	}
}

func TestTextLanguage(t *testing.T) {
	for langs, want := range map[string]string{"": "", "fr": "fr", "en,fr": "en", "fr,ru": ""} {
		d := &model.DocumentRef{}
		if langs != "" {
			d.Languages = strings.Split(langs, ",")
		}
		if got := TextLanguage(d); got != want {
			t.Errorf("TextLanguage(%s) = %q, want %q", langs, got, want)
		}
	}
}

// The file the text was read from says its language, whatever else the
// document is published in: a source reading French documents compares
// French with French.
func TestTextLanguageOfTheFileRead(t *testing.T) {
	d := &model.DocumentRef{
		Languages: []string{"en", "fr"},
		Files: []model.DocumentFile{
			{URL: "https://www.itu.int/md/S26-CL-C-0051/fr.docx", Format: "docx", Language: "fr"},
			{URL: "https://www.itu.int/md/S26-CL-C-0051/en.docx", Format: "docx", Language: "en"},
		},
		TextFrom: "https://www.itu.int/md/S26-CL-C-0051/fr.docx",
	}
	if got := TextLanguage(d); got != "fr" {
		t.Errorf("TextLanguage = %q, want fr (the file read)", got)
	}
	d.TextFrom = "https://elsewhere.example/unknown.pdf"
	if got := TextLanguage(d); got != "en" {
		t.Errorf("TextLanguage with an unknown file = %q, want en", got)
	}
}
