package itudoc

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ituwatch/ituwatch/internal/didyoumean"
	"github.com/ituwatch/ituwatch/model"
)

// Who proposed a document. A listing's source column names Member States
// ("Brazil, Mexico and Paraguay"), regional groups under many labels
// ("African Common Proposals", "Member States of the Regional Commonwealth
// in the field of Communications (RCC)"), sector members ("Huawei
// Technologies Co., Ltd. (China)") and officials ("Director, TSB"). Rules,
// routes and follows compare canonical names, so that "Russia" in a rule
// catches "Russian Federation" on a listing and "China" does not catch
// "China Mobile".

// ProposerKind says what a proposer is.
type ProposerKind int

const (
	SectorMember ProposerKind = iota // anyone else, kept as the listing wrote it
	MemberState
	RegionalGroup
	Official
)

type proposerEntry struct {
	name string
	kind ProposerKind
}

var (
	proposerIndex = map[string]proposerEntry{} // folded alias → canonical
	proposerNames []string                     // canonical, groups first
)

func init() {
	add := func(list []string, kind ProposerKind) {
		for _, line := range list {
			names := strings.Split(line, "|")
			proposerNames = append(proposerNames, names[0])
			for _, n := range names {
				proposerIndex[foldProposer(n)] = proposerEntry{names[0], kind}
			}
		}
	}
	add(regionalGroups, RegionalGroup)
	add(memberStates, MemberState)
	add(officials, Official)
}

// ProposerNames lists the canonical names ituwatch knows: the regional
// groups, ITU's Member States and the officials who submit documents.
func ProposerNames() []string { return slices.Clone(proposerNames) }

// ProposerName gives the canonical name of a known proposer written any
// way ITU, the press or a person writes it ("Russia", "people's republic
// of china", "Arab Group"); ok is false for names it does not know.
func ProposerName(name string) (canonical string, kind ProposerKind, ok bool) {
	if e, ok := lookupProposer(name); ok {
		return e.name, e.kind, true
	}
	return "", SectorMember, false
}

// SameProposer reports whether want (a name or alias) names the proposer
// p: known names by their canonical form, others (sector members) by
// their words, case and accents aside.
func SameProposer(want, p string) bool {
	if a, ok := lookupProposer(want); ok {
		b, ok := lookupProposer(p)
		return ok && a.name == b.name
	}
	return foldProposer(want) == foldProposer(p)
}

// Proposers reads a listing's source column (or one link of it) into the
// proposers' canonical names, in the order written, each once. Sector
// members and anyone unknown are kept as written, tidied.
func Proposers(source string) []string {
	if len(source) > maxSourceBytes {
		// No source column is this long; a hostile page must not make the
		// list reading (quadratic in the worst case) costly.
		source = source[:maxSourceBytes]
		if i := strings.LastIndexAny(source, ",;\n"); i > 0 {
			source = source[:i]
		} else if i := strings.LastIndex(strings.ToLower(source), " and "); i > 0 {
			source = source[:i]
		}
	}
	var out []string
	for _, part := range splitTop(source, ";\n") {
		for _, p := range proposerList(part, 0) {
			if p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// proposerList reads one ";"-free stretch: names joined by commas and
// "and", where names themselves may hold either ("Trinidad and Tobago",
// "Director, TSB", "Huawei Technologies Co., Ltd.").
func proposerList(s string, depth int) []string {
	toks, seps := splitListTokens(s)
	type piece struct {
		text  string
		names []string
		known bool
	}
	var pieces []piece
	for i := 0; i < len(toks); {
		took := false
		// The longest run of tokens that names someone known wins.
		for j := min(len(toks)-1, i+7); j > i; j-- {
			joined := joinTokens(toks[i:j+1], seps[i:j])
			if names, ok := resolveProposer(joined, true, depth); ok {
				pieces = append(pieces, piece{joined, names, true})
				i, took = j+1, true
				break
			}
		}
		if took {
			continue
		}
		names, ok := resolveProposer(toks[i], false, depth)
		text := toks[i]
		if !ok {
			// A lone "Chairman," or "Director," heads the office that follows.
			if leadingOffice.MatchString(text) && i+1 < len(toks) {
				text = joinTokens(toks[i:i+2], seps[i:i+1])
				i++
				names = []string{cleanProposer(text)}
			} else {
				names = []string{cleanProposer(text)}
			}
		}
		if n := len(pieces); !ok && n > 0 && !pieces[n-1].known && continuesName(seps[i-1], text) {
			// "Co., Ltd." and "X and Y Ltd" belong to the name before.
			pieces[n-1].text = joinTokens([]string{pieces[n-1].text, text}, seps[i-1:i])
			pieces[n-1].names = nil // tidied once, below
		} else {
			pieces = append(pieces, piece{text, names, ok})
		}
		i++
	}
	var out []string
	for _, p := range pieces {
		if p.names == nil {
			p.names = []string{cleanProposer(p.text)}
		}
		out = append(out, p.names...)
	}
	return out
}

const (
	maxSourceBytes  = 2048 // about 100 co-signers
	maxBracketDepth = 3    // "Russian Federation (Korea (Republic of), …)" is two
)

// leadingOffice is an office title cut from its office by a comma.
var leadingOffice = regexp.MustCompile(`(?i)^(vice[- ])?(chair(man|woman|person)?|co-chair(man|woman|person)?|director|rapporteur|associate rapporteur|editor|convener|coordinator)$`)

// corporateTail is a company-form suffix that a comma cut from its name.
var corporateTail = regexp.MustCompile(`(?i)^(ltd|inc|llc|l\.l\.c|co|corp|corporation|limited|plc|s\.?a|s\.?p\.?a|ag|gmbh|b\.?v|n\.?v|oy|ab|pte|kk|k\.k|s\.?a\.?s|s\.?r\.?l)\b`)

func continuesName(sep, next string) bool {
	if corporateTail.MatchString(next) {
		return true
	}
	if strings.TrimSpace(sep) == "and" || strings.TrimSpace(sep) == "&" {
		return true // "Ministry of Science and ICT": only known names split on "and"
	}
	r := []rune(strings.TrimSpace(next))
	return len(r) > 0 && r[0] >= 'a' && r[0] <= 'z' // a clause, not a name
}

// resolveProposer names the proposers one stretch of text stands for. For
// a stretch joined from several tokens (strict) only whole names count.
func resolveProposer(s string, strict bool, depth int) ([]string, bool) {
	s = strings.TrimSpace(membershipNote.ReplaceAllString(s, ""))
	if s == "" {
		return nil, false
	}
	if e, ok := lookupProposer(s); ok {
		return []string{e.name}, true
	}
	if m := officeTitle.FindStringSubmatch(s); m != nil && !(strict && strings.Contains(m[3], ",")) {
		office := "Chair"
		switch l := strings.ToLower(m[1]); {
		case strings.HasPrefix(l, "vice"):
			office = "Vice-Chair"
		case strings.HasPrefix(l, "co-"):
			office = "Co-Chair"
		}
		return []string{office + ", " + cleanProposer(m[3])}, true
	}
	if outer, inner, ok := trailingBrackets(s); ok {
		// "European Conference of … Administrations (CEPT)": a name and its acronym.
		a, aok := lookupProposer(outer)
		b, bok := lookupProposer(inner)
		if aok && bok && a.name == b.name {
			return []string{a.name}, true
		}
	}
	if strict {
		return nil, false
	}
	// "Russian Federation (Armenia, Belarus)": co-signers in brackets.
	// "Huawei Technologies Co., Ltd. (China)": a sector member's country.
	if outer, inner, ok := trailingBrackets(s); ok && depth < maxBracketDepth {
		outerNames, outerOK := resolveProposer(outer, false, depth+1)
		innerNames := proposerList(inner, depth+1)
		innerOK := len(innerNames) > 0
		innerStates := false
		for _, n := range innerNames {
			e, ok := lookupProposer(n)
			if !ok {
				innerOK = false
			} else if e.kind != RegionalGroup {
				innerStates = true
			}
		}
		switch {
		case outerOK && innerOK:
			return append(outerNames, innerNames...), true
		case outerOK:
			return outerNames, true
		case innerOK && !innerStates:
			return innerNames, true // "… Common Proposals (ACP)"
		}
	}
	if g, ok := groupIn(s); ok {
		return []string{g}, true
	}
	return nil, false
}

// membershipNote is a listing's note of what kind of member submitted:
// "Internet Society (sector member)", "France (Member State)".
var membershipNote = regexp.MustCompile(`(?i)\s*\((sector member|member state|associate|academia|academic|observer)\)\s*$`)

// officeTitle reads "Chairman, TSAG", "Chair of the CWG-Internet",
// "Vice-Chairperson of Study Group 17" into "Chair, …"/"Vice-Chair, …".
var officeTitle = regexp.MustCompile(`(?i)^((?:vice[- ]|co-)?chair)(?:man|woman|person)?(\s*,\s*|\s+of\s+(?:the\s+)?)(.+)$`)

// groupPhrases find a regional group named inside a longer label
// ("Proposals of the African Telecommunications Union Administrations for
// the work of the Conference").
var groupPhrases = []struct{ phrase, group string }{
	{"regional commonwealth in the field of communications", "RCC"},
	{"european conference of postal and telecommunications administrations", "CEPT"},
	{"inter-american telecommunication commission", "CITEL"},
	{"inter-american proposal", "CITEL"},
	{"asia-pacific telecommunity", "APT"},
	{"asia pacific telecommunity", "APT"},
	{"african telecommunications union", "ATU"},
	{"african telecommunication union", "ATU"},
	{"african common proposal", "ATU"},
	{"arab group", "Arab States"},
	{"arab states", "Arab States"},
	{"arab administrations", "Arab States"},
	{"arab common proposal", "Arab States"},
}

// groupAcronyms are matched as written, in capitals, as whole words: "apt"
// is an English word, "APT" is the Asia-Pacific Telecommunity.
// "ACP" is left out: both APT and the ATU call their common proposals so.
var groupAcronyms = regexp.MustCompile(`\b(RCC|CEPT|CITEL|APT|ATU|IAPs?|ECPs?|ASMG)\b`)

var acronymGroup = map[string]string{
	"RCC": "RCC", "CEPT": "CEPT", "CITEL": "CITEL", "APT": "APT", "ATU": "ATU",
	"IAP": "CITEL", "IAPs": "CITEL", "ECP": "CEPT", "ECPs": "CEPT", "ASMG": "Arab States",
}

func groupIn(s string) (string, bool) {
	f := " " + foldProposer(s) + " "
	found := ""
	for _, g := range groupPhrases {
		if i := strings.Index(f, g.phrase); i > 0 && !isWordByte(f[i-1]) {
			if found != "" && found != g.group {
				return "", false // two groups in one name: not a label of either
			}
			found = g.group
		}
	}
	for _, m := range groupAcronyms.FindAllString(s, -1) {
		if g := acronymGroup[m]; found != "" && found != g {
			return "", false
		} else {
			found = g
		}
	}
	return found, found != ""
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}

// proposerAffixes are the words around a name that do not change who it
// is: "the Administration of", "Common Proposals of", "Note by the".
var (
	proposerPrefixes = []string{
		"the ", "administration of ", "administrations of ", "government of ", "note by the ", "note by ",
		"proposal of ", "proposals of ", "proposal by ", "proposals by ", "proposal from ", "proposals from ",
		"contribution from ", "contribution by ", "contribution of ", "submitted by ", "common proposals of ",
		"common proposals from ", "common proposal of ", "member states of the ", "member states of ",
		"members of the ", "members of ", "report by the ", "report of the ",
	}
	proposerSuffixes = []string{
		" administration", " administrations", " common proposals", " common proposal", " proposals",
		" proposal", " member states", " members", " (administration)",
	}
)

func lookupProposer(s string) (proposerEntry, bool) {
	f := foldProposer(s)
	for range 4 {
		if e, ok := proposerIndex[f]; ok {
			return e, true
		}
		g := f
		for _, p := range proposerPrefixes {
			g = strings.TrimPrefix(g, p)
		}
		for _, p := range proposerSuffixes {
			g = strings.TrimSuffix(g, p)
		}
		if g == f {
			break
		}
		f = g
	}
	return proposerEntry{}, false
}

var proposerFolder = strings.NewReplacer(
	"’", "'", "‘", "'", "`", "'", "´", "'",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "É", "e",
	"ô", "o", "ö", "o", "ó", "o", "ü", "u", "ú", "u", "ç", "c",
	"á", "a", "à", "a", "ã", "a", "â", "a", "í", "i", "ï", "i", "ñ", "n",
	"–", "-", "—", "-", "&", " and ",
)

// foldProposer is the form names are compared in: lower case, accents and
// apostrophe shapes aside, spaces single, trailing punctuation dropped.
func foldProposer(s string) string {
	s = strings.ToLower(proposerFolder.Replace(s))
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimRight(s, " ,:;")
	s = strings.TrimSuffix(s, " .")
	return strings.TrimSpace(strings.TrimPrefix(s, "- "))
}

// cleanProposer tidies a name kept as written: spaces single, no stray
// punctuation or bullets around it.
func cleanProposer(s string) string {
	s = strings.Join(strings.Fields(membershipNote.ReplaceAllString(s, "")), " ")
	return strings.Trim(s, " ,;:-–—•*")
}

// splitTop splits s at any of seps outside brackets.
func splitTop(s, seps string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch {
		case r == '(' || r == '[':
			depth++
		case (r == ')' || r == ']') && depth > 0:
			depth--
		case depth == 0 && strings.ContainsRune(seps, r):
			out = append(out, s[start:i])
			start = i + len(string(r))
		}
	}
	return append(out, s[start:])
}

// splitListTokens cuts at top-level commas, "and" and "&", returning the
// tokens and the separators between them, so a run can be joined back as
// written.
func splitListTokens(s string) (toks, seps []string) {
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' || c == '[':
			depth++
		case (c == ')' || c == ']') && depth > 0:
			depth--
		case depth > 0:
		case c == ',':
			toks, seps = append(toks, s[start:i]), append(seps, ", ")
			start = i + 1
		case c == '&' && i > 0 && s[i-1] == ' ':
			toks, seps = append(toks, s[start:i]), append(seps, " & ")
			start = i + 1
		case c == ' ' && i+5 <= len(s) && strings.EqualFold(s[i:i+5], " and "):
			toks, seps = append(toks, s[start:i]), append(seps, " and ")
			start = i + len(" and")
			i = start - 1
		}
	}
	toks = append(toks, s[start:])
	for i := range toks {
		toks[i] = strings.TrimSpace(toks[i])
	}
	// ", and" is one separator.
	for i := 0; i < len(toks); i++ {
		if toks[i] == "" && i > 0 && i < len(seps) {
			toks = slices.Delete(toks, i, i+1)
			seps = slices.Delete(seps, i-1, i)
			i--
		}
	}
	for len(toks) > 1 && toks[len(toks)-1] == "" {
		toks, seps = toks[:len(toks)-1], seps[:len(seps)-1]
	}
	return toks, seps
}

func joinTokens(toks, seps []string) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteString(seps[i-1])
		}
		b.WriteString(t)
	}
	return b.String()
}

// trailingBrackets splits "Outer (inner)" at its last top-level bracket.
func trailingBrackets(s string) (outer, inner string, ok bool) {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ")") {
		return "", "", false
	}
	depth := 0
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				outer, inner = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:len(s)-1])
				return outer, inner, outer != "" && inner != ""
			}
		}
	}
	return "", "", false
}

func splitAliases(line string) []string { return strings.Split(line, "|") }

// ProposerSpellings lists every name and alias ituwatch knows, as written,
// for a "did you mean" over all of them ("Rusia" is nearer "Russia" than
// "Russian Federation"); ProposerName turns the one picked canonical.
func ProposerSpellings() []string {
	var out []string
	for _, list := range [][]string{regionalGroups, memberStates, officials} {
		for _, line := range list {
			out = append(out, splitAliases(line)...)
		}
	}
	return out
}

// CheckProposer reads a name a person wrote in a rule, route or command:
// a known name or alias gives its canonical name; a near miss of one is
// an error that says which was meant; anything else is a sector member,
// kept as written (tidied), and matched by its words.
func CheckProposer(name string) (string, error) {
	if c, _, ok := ProposerName(name); ok {
		return c, nil
	}
	clean := cleanProposer(name)
	if clean == "" {
		return "", fmt.Errorf("a proposer's name is empty")
	}
	if best := didyoumean.Closest(clean, ProposerSpellings()); best != "" {
		c, _, _ := ProposerName(best)
		meant := strconv.Quote(best)
		if c != best {
			meant += ", that is " + strconv.Quote(c)
		}
		return "", fmt.Errorf("%q is not a proposer ituwatch knows (did you mean %s?)", name, meant)
	}
	return clean, nil
}

// DocumentProposers are who proposed a document. A document stored before
// proposers were read keeps only its listing's words, read here alike.
func DocumentProposers(d *model.DocumentRef) []string {
	if d == nil {
		return nil
	}
	if len(d.Proposers) > 0 {
		return d.Proposers
	}
	return Proposers(d.Submitter)
}

// ProposedByAny reports whether one of names (any known form, or sector
// members as written) proposed the document; nil proposed nothing.
func ProposedByAny(d *model.DocumentRef, names []string) bool {
	for _, w := range DocumentProposers(d) {
		for _, n := range names {
			if SameProposer(n, w) {
				return true
			}
		}
	}
	return false
}
