package itudoc

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

// A revision, an addendum or a new language version is an update of the
// document already seen, never a new one: its Number stays the same. These
// say how two versions compare and how to tell a reader what changed.

// RevisionNumber makes "Rev.2" comparable with "Rev.10"; "" is 0.
func RevisionNumber(rev string) int {
	n, _ := strconv.Atoi(strings.TrimLeft(rev, "RevAd."))
	return n
}

// Changes says in a few words how a document differs from its prior
// version ("revised (Rev.1)", "addendum (Add.2)", "new language version:
// French"); none when either version is not a document, or when neither
// a revision, an addendum nor a language was added.
func Changes(prev, cur *model.DocumentRef) []string {
	if prev == nil || cur == nil {
		return nil
	}
	var parts []string
	if cur.Revision != prev.Revision && cur.Revision != "" {
		parts = append(parts, "revised ("+cur.Revision+")")
	}
	if cur.Addendum != prev.Addendum && cur.Addendum != "" {
		parts = append(parts, "addendum ("+cur.Addendum+")")
	}
	var added []string
	for _, l := range cur.Languages {
		if !slices.Contains(prev.Languages, l) {
			added = append(added, LanguageName(l))
		}
	}
	if len(added) > 0 {
		parts = append(parts, "new language version: "+strings.Join(added, ", "))
	}
	return parts
}

// Label prints a document reference as a reader looks it up, without its
// languages: "C20/51 Rev.1", "C23/51(Add.1) Add.1"; "" for no document.
func Label(d *model.DocumentRef) string {
	if d == nil || d.Number == "" {
		return ""
	}
	s := d.Number
	for _, extra := range []string{d.Revision, d.Addendum} {
		// A number as printed may already name its addendum
		// ("C23/51(Add.1)"): say it once.
		if extra != "" && !strings.Contains(d.Number, extra) {
			s += " " + extra
		}
	}
	return s
}

// parentSuffix is the last "(Add.N)" or "(Corr.N)" of a Number.
var parentSuffix = regexp.MustCompile(`\((Add|Corr)\.(\d{1,2})\)$`)

// Parent says what an addendum or a corrigendum belongs to: the number of
// the document it adds to or corrects ("C26/51" for "C26/51(Add.2)") and
// the line that tells a reader so ("Addendum 2 to C26/51"). ok is false
// for any other document.
func Parent(d *model.DocumentRef) (number, line string, ok bool) {
	if d == nil {
		return "", "", false
	}
	m := parentSuffix.FindStringSubmatchIndex(d.Number)
	if m == nil || m[0] == 0 {
		return "", "", false
	}
	number = d.Number[:m[0]]
	kind, n := d.Number[m[2]:m[3]], d.Number[m[4]:m[5]]
	word := "Addendum"
	if kind == "Corr" {
		word = "Corrigendum"
	}
	return number, word + " " + n + " to " + number, true
}

// TextLanguage is the language of the text ituwatch holds of a document:
// the language of the file it was read from when that is known, else its
// only language, else English when it has an English version (the one
// read by default); "" when it cannot be told. Texts in two languages are
// never compared sentence by sentence: every sentence would differ.
func TextLanguage(d *model.DocumentRef) string {
	if d == nil {
		return ""
	}
	if d.TextFrom != "" {
		for _, f := range d.Files {
			if f.URL == d.TextFrom && f.Language != "" {
				return f.Language
			}
		}
	}
	switch {
	case len(d.Languages) == 0:
		return ""
	case len(d.Languages) == 1:
		return d.Languages[0]
	case slices.Contains(d.Languages, "en"):
		return "en"
	}
	return ""
}
