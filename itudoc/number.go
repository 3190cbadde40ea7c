package itudoc

import (
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

// ITU prints the same document under several identifiers: the number on the
// cover page ("C22/51(Rev.1)-F"), the document-management id in its URLs
// ("S22-CL-C-0051!R1!MSW-F"), and the short forms delegates write in titles
// ("PP-22 Doc 45", "TSAG-TD 62R1"). Every form is reduced to one canonical
// Number so that a revision or a new language version of a document updates
// the item already seen instead of alerting as a new one.
//
// Canonical numbers:
//
//	Council            C22/51, C24/INF/3
//	conferences        PP22/45, WTSA24/45, WTDC22/12
//	CWG-Internet       CWG-Internet 18/3
//	ITU-T              TSAG-TD 62, TSAG-C 123, SG17-C 456, TD 62 (group unknown)
//
// An addendum is kept in the Number ("C23/51(Add.1)"): ITU publishes it as a
// document of its own, with its own title and date, and an item's fingerprint
// does not look at DocumentRef.Addendum, so folding it into its parent would
// hide it.

// The pieces shared by the printed forms. Each pattern is compiled twice: once
// anchored (Parse) and once free-standing inside text (Find).
const (
	// "(Rev.1)", "(Add.2)", "(Corr.1)" in any number and order, spaces tolerated.
	docReSuffix = `(?P<suffix>(?:\s*\(\s*(?:Rev|Add|Corr)\.?\s*\d{1,2}\s*\))*)`
	docReLang   = `(?:\s*-\s*(?P<lang>[EFSACR]))?`
	// "!R1!MSW", "!!PDF", "!A1!MSW" of the document-management ids.
	docReVersion = `(?:!(?P<ver>[AR0-9-]*)!(?P<fmt>[A-Z0-9]*))?`
)

type docPattern struct {
	name   string
	core   string
	build  func(m map[string]string) *model.DocumentRef
	parse  *regexp.Regexp
	search *regexp.Regexp
}

var docPatterns = []*docPattern{
	{
		name: "council",
		core: `C(?P<meeting>\d{2})\s*/\s*(?P<inf>INF\s*/\s*)?(?P<seq>\d{1,4})` + docReSuffix + docReLang,
		build: func(m map[string]string) *model.DocumentRef {
			seq := trimZeros(m["seq"])
			if m["inf"] != "" {
				seq = "INF/" + seq
			}
			return &model.DocumentRef{Number: "C" + m["meeting"] + "/" + seq, Series: "C", Meeting: m["meeting"], Seq: seq}
		},
	},
	{
		name:  "conference-slash",
		core:  `(?P<conf>PP|WTSA|WTDC|WCIT)-?(?P<meeting>\d{2})\s*/\s*(?P<seq>\d{1,4})` + docReSuffix + docReLang,
		build: docConferenceRef,
	},
	{
		name:  "conference-doc",
		core:  `(?P<conf>PP|WTSA|WTDC|WCIT)[- ]?(?P<meeting>\d{2})\s*,?\s*Doc(?:ument)?\.?\s*(?:No\.?\s*)?(?P<seq>\d{1,4})` + docReSuffix + docReLang,
		build: docConferenceRef,
	},
	{
		name: "cwg",
		core: `CWG[- ]?(?P<wg>Internet|WSIS(?:&|&amp;|and)SDGs?|COP|FHR|LANG)[- ]?(?P<meeting>\d{1,2})\s*/\s*(?P<inf>INF\s*/\s*)?(?P<seq>\d{1,4})` + docReSuffix + docReLang,
		build: func(m map[string]string) *model.DocumentRef {
			wg := docCWGName(m["wg"])
			seq := trimZeros(m["seq"])
			if m["inf"] != "" {
				seq = "INF/" + seq
			}
			return &model.DocumentRef{Number: wg + " " + m["meeting"] + "/" + seq, Series: wg, Meeting: m["meeting"], Seq: seq}
		},
	},
	{
		// ITU-T: "TSAG-TD 62R1", "SG13-C 1234", "TD 62/GEN". A bare "C 12" is
		// too common in prose to mean a contribution, so C needs its group.
		name: "itut",
		core: `(?:(?P<group>TSAG|SG\s?\d{1,2}|FG-[A-Z0-9]+)\s*-\s*(?P<kind>TD|C)|(?P<bare>TD))\s*(?P<seq>\d{1,5})(?:\s*R(?P<rrev>\d{1,2}))?(?:\s*/\s*(?:GEN|PLEN|WP\s?\d))?` + docReSuffix + docReLang,
		build: func(m map[string]string) *model.DocumentRef {
			seq := trimZeros(m["seq"])
			ref := &model.DocumentRef{Seq: seq}
			if m["bare"] != "" {
				ref.Series = "TD"
				ref.Number = "TD " + seq
			} else {
				group := strings.ToUpper(strings.ReplaceAll(m["group"], " ", ""))
				ref.Series = group + "-" + strings.ToUpper(m["kind"])
				ref.Number = ref.Series + " " + seq
			}
			if m["rrev"] != "" {
				ref.Revision = "Rev." + trimZeros(m["rrev"])
			}
			return ref
		},
	},
	{
		// General Secretariat document-management ids: S22-CL-C-0065,
		// S22-CL-INF-0003, S22-PP-C-0045, S23-CWGINT18-C-0003.
		name: "dms-s",
		core: `S(?P<meeting>\d{2})-(?P<body>CL|PP|WCIT|CWGINT(?P<cwg>\d{1,2}))-(?P<kind>C|INF)-(?P<seq>\d{1,5})` + docReVersion + docReLang,
		build: func(m map[string]string) *model.DocumentRef {
			seq := trimZeros(m["seq"])
			if strings.EqualFold(m["kind"], "INF") {
				seq = "INF/" + seq
			}
			body := strings.ToUpper(m["body"])
			switch {
			case body == "CL":
				return &model.DocumentRef{Number: "C" + m["meeting"] + "/" + seq, Series: "C", Meeting: m["meeting"], Seq: seq}
			case strings.HasPrefix(body, "CWGINT"):
				return &model.DocumentRef{Number: "CWG-Internet " + m["cwg"] + "/" + seq, Series: "CWG-Internet", Meeting: m["cwg"], Seq: seq}
			default:
				return &model.DocumentRef{Number: body + m["meeting"] + "/" + seq, Series: body, Meeting: m["meeting"], Seq: seq}
			}
		},
	},
	{
		// ITU-T document-management ids: T22-TSAG-C-0123, T22-SG17-C-0456,
		// T22-SG17-230829-TD-GEN-1234, T24-WTSA-C-0045. The two-digit year is
		// the study period, not part of the printed number.
		name: "dms-t",
		core: `T(?P<meeting>\d{2})-(?P<group>TSAG|SG\d{1,2}|WTSA|FG[A-Z0-9-]*?)(?:-\d{6})?-(?P<kind>C|TD)(?:-(?:GEN|PLEN|WP\d))?-(?P<seq>\d{1,5})` + docReVersion + docReLang,
		build: func(m map[string]string) *model.DocumentRef {
			seq := trimZeros(m["seq"])
			group := strings.ToUpper(m["group"])
			kind := strings.ToUpper(m["kind"])
			if group == "WTSA" && kind == "C" {
				return &model.DocumentRef{Number: "WTSA" + m["meeting"] + "/" + seq, Series: "WTSA", Meeting: m["meeting"], Seq: seq}
			}
			if strings.HasPrefix(group, "FG") && !strings.HasPrefix(group, "FG-") {
				group = "FG-" + strings.TrimPrefix(strings.TrimPrefix(group, "FG"), "-")
			}
			series := group + "-" + kind
			return &model.DocumentRef{Number: series + " " + seq, Series: series, Meeting: m["meeting"], Seq: seq}
		},
	},
}

func docConferenceRef(m map[string]string) *model.DocumentRef {
	conf := strings.ToUpper(m["conf"])
	seq := trimZeros(m["seq"])
	return &model.DocumentRef{Number: conf + m["meeting"] + "/" + seq, Series: conf, Meeting: m["meeting"], Seq: seq}
}

func docCWGName(s string) string {
	switch u := strings.ToUpper(s); {
	case u == "INTERNET":
		return "CWG-Internet"
	case strings.HasPrefix(u, "WSIS"):
		return "CWG-WSIS&SDG"
	default:
		return "CWG-" + u
	}
}

var docSuffixPart = regexp.MustCompile(`(?i)(Rev|Add|Corr)\.?\s*(\d{1,2})`)

func init() {
	for _, p := range docPatterns {
		p.parse = regexp.MustCompile(`(?i)^\s*(?:` + p.core + `)\s*$`)
		// Go's regexp has no look-behind; \b on the left and an explicit
		// non-word (or end) on the right keep "G20/5G" and "COVID-19" out.
		p.search = regexp.MustCompile(`(?i)\b(?:` + p.core + `)(?:$|[^\w/])`)
	}
}

// Parse reads one ITU document identifier, printed ("C22/51(Rev.1)-F",
// "PP-22 Doc 45", "CWG-Internet 18/3", "TSAG-TD 62R1") or in the
// document-management form ("S22-CL-C-0065!R1!MSW-E", "T22-SG17-C-0456"),
// also when it is the last part of a URL such as
// "https://www.itu.int/md/S22-CL-C-0065/en". The whole string must be the
// identifier; use Find to spot one inside a title.
func Parse(s string) (*model.DocumentRef, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	if strings.Contains(s, "://") {
		return FromURL(s)
	}
	for _, p := range docPatterns {
		if m := p.parse.FindStringSubmatch(s); m != nil {
			return p.ref(m), true
		}
	}
	return nil, false
}

// Find returns the first ITU document identifier found in text, the
// leftmost when several forms match.
func Find(text string) (*model.DocumentRef, bool) {
	best, bestAt := []string(nil), -1
	var bestP *docPattern
	for _, p := range docPatterns {
		loc := p.search.FindStringSubmatchIndex(text)
		if loc == nil || (bestAt >= 0 && loc[0] >= bestAt) {
			continue
		}
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = text[loc[2*i]:loc[2*i+1]]
			}
		}
		best, bestAt, bestP = m, loc[0], p
	}
	if bestP == nil {
		return nil, false
	}
	return bestP.ref(best), true
}

func (p *docPattern) ref(m []string) *model.DocumentRef {
	groups := make(map[string]string, len(m))
	for i, name := range p.parse.SubexpNames() {
		if name != "" && i < len(m) {
			groups[name] = m[i]
		}
	}
	ref := p.build(groups)
	for _, part := range docSuffixPart.FindAllStringSubmatch(groups["suffix"], -1) {
		n := trimZeros(part[2])
		switch strings.ToLower(part[1]) {
		case "rev":
			ref.Revision = "Rev." + n
		case "add":
			ref.Addendum = "Add." + n
			ref.Number += "(Add." + n + ")"
		case "corr":
			// A corrigendum is its own short document, like an addendum.
			ref.Number += "(Corr." + n + ")"
		}
	}
	// "!R1!MSW": R is a revision, A an addendum, in the management system.
	for _, tok := range strings.Split(strings.ToUpper(groups["ver"]), "-") {
		if len(tok) < 2 {
			continue
		}
		n := trimZeros(tok[1:])
		switch tok[0] {
		case 'R':
			ref.Revision = "Rev." + n
		case 'A':
			ref.Addendum = "Add." + n
			ref.Number += "(Add." + n + ")"
		}
	}
	if l := groups["lang"]; l != "" {
		ref.Languages = []string{letterLanguages[strings.ToUpper(l)[0]]}
	}
	return ref
}

// fileExts lists the file extensions ITU serves document versions as.
var fileExts = []string{".docx", ".doc", ".pdf", ".zip", ".pptx", ".ppt", ".xlsx", ".htm", ".html"}

// FromURL finds the document id in a link to a document page or
// file. ITU puts it in the last path segments ("/md/S22-CL-C-0065/en",
// ".../S22-CL-C-0065!R1!MSW-E.docx") or in a query parameter.
func FromURL(raw string) (*model.DocumentRef, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	var lang string
	for i := len(segs) - 1; i >= 0 && i >= len(segs)-3; i-- {
		seg, err := url.PathUnescape(segs[i])
		if err != nil {
			seg = segs[i]
		}
		if i == len(segs)-1 && slices.Contains(languageOrder, strings.ToLower(seg)) {
			lang = strings.ToLower(seg)
			continue
		}
		ext := strings.ToLower(path.Ext(seg))
		if slices.Contains(fileExts, ext) {
			seg = seg[:len(seg)-len(ext)]
		}
		if ref, ok := Parse(seg); ok {
			AddLanguage(ref, lang)
			return ref, true
		}
	}
	for _, vals := range u.Query() {
		for _, v := range vals {
			if strings.Contains(v, "://") {
				continue
			}
			if ref, ok := Parse(v); ok {
				return ref, true
			}
		}
	}
	return nil, false
}

// IsDocumentFile reports whether a link is to a file of a document (a
// .docx, .pdf, .zip ...) rather than to a web page.
func IsDocumentFile(link string) bool {
	u, err := url.Parse(link)
	if err != nil {
		return false
	}
	p := strings.ToLower(u.Path)
	for _, ext := range fileExts {
		if ext != ".htm" && ext != ".html" && strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

func trimZeros(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}
