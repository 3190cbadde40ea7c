package itudoc

import (
	"regexp"
	"strings"
)

// A document's series names the body it was written for ("C" the Council,
// "TSAG-TD" TSAG); pages about a body name it in words. Both give the
// categories a listing's items carry, so a rule or a reader can pick a body.

// Bodies names the bodies a document's own series points to: "C" is the
// Council, "CWG-Internet" a Council working group, "SG17-C" study group 17.
func Bodies(series string) []string {
	switch {
	case series == "C":
		return []string{"Council"}
	case series == "CWG-Internet":
		return []string{"Council", "CWG-Internet"}
	case strings.HasPrefix(series, "CWG-"):
		return []string{"Council", series}
	case series == "PP", series == "WTSA", series == "WTDC", series == "WCIT":
		return []string{series}
	case strings.HasPrefix(series, "TSAG-"):
		return []string{"TSAG"}
	case strings.HasPrefix(series, "SG"):
		g, _, _ := strings.Cut(series, "-")
		return []string{g}
	case strings.HasPrefix(series, "FG-"):
		return []string{strings.TrimSuffix(strings.TrimSuffix(series, "-C"), "-TD")}
	}
	return nil
}

// namedBodies are the bodies a page can be about, as its title, headings
// and breadcrumb name them. Order is the order categories are listed in.
var namedBodies = []struct {
	re   *regexp.Regexp
	name string
}{
	{regexp.MustCompile(`\bCouncil\b`), "Council"},
	{regexp.MustCompile(`(?i)\bCWG[- ]?Internet\b|Internet-related Public Policy`), "CWG-Internet"},
	{regexp.MustCompile(`\bPlenipotentiary\b|\bPP-?\d{2}\b`), "PP"},
	{regexp.MustCompile(`\bWTSA\b|World Telecommunication Standardization Assembly`), "WTSA"},
	{regexp.MustCompile(`\bTSAG\b|Telecommunication Standardization Advisory Group`), "TSAG"},
	{regexp.MustCompile(`\bWTDC\b|World Telecommunication Development Conference`), "WTDC"},
	{regexp.MustCompile(`\bWCIT\b`), "WCIT"},
}

var namedStudyGroup = regexp.MustCompile(`\b(?:SG|Study Group)\s?(\d{1,2})\b`)

// BodiesNamedIn lists the bodies a text names ("ITU Council 2026",
// "Study Group 17"), each once, in the order of namedBodies, then the
// first study group as "SG17".
func BodiesNamedIn(text string) []string {
	var bodies []string
	for _, b := range namedBodies {
		if b.re.MatchString(text) {
			bodies = append(bodies, b.name)
		}
	}
	if m := namedStudyGroup.FindStringSubmatch(text); m != nil {
		bodies = append(bodies, "SG"+m[1])
	}
	return bodies
}
