package rules

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

func mustEngine(t testing.TB, packs ...string) *Engine {
	t.Helper()
	var ps []*Pack
	for i, y := range packs {
		p, err := ParsePack("test"+string(rune('a'+i))+".yaml", []byte(y))
		if err != nil {
			t.Fatalf("ParsePack: %v", err)
		}
		ps = append(ps, p)
	}
	e, err := Compile(ps...)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return e
}

// oneTopic wraps a match node (YAML flow or block, indented 6) into a pack.
func oneTopic(match string, extra ...string) string {
	return "pack: t\nsets:\n  ctx: [\"ITU\", \"ITU-T\", \"study group\"]\ntopics:\n  - id: x\n    name: X\n    severity: medium\n" +
		strings.Join(extra, "") + "    match:\n" + match
}

func topicIDs(ms []model.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Topic)
	}
	return out
}

func hitTexts(m model.Match) []string {
	var out []string
	for _, h := range m.Hits {
		out = append(out, h.Text)
	}
	return out
}

func TestPhraseTolerance(t *testing.T) {
	e := mustEngine(t, oneTopic("      phrase: FG-NET2030\n"))
	tests := []struct {
		text string
		want bool
	}{
		{"FG-NET2030", true},
		{"FG NET-2030", true},
		{"fg-net 2030", true},
		{"FG NET 2030", true},
		{"the fg_net_2030 group", true},
		{"(FG-NET2030).", true},
		{"FG—NET—2030", true},
		{"FGNET2030", false}, // a different word, not a spelling
		{"FG-NET20301", false},
		{"XFG-NET2030", false},
		{"FG-NET 2030s", true}, // plural s is its own token after digits
		{"FG-NET, and 2030", false},
	}
	for _, tt := range tests {
		got := len(e.Match(&model.Item{Content: tt.text})) == 1
		if got != tt.want {
			t.Errorf("%q matched = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestPluralAndCase(t *testing.T) {
	e := mustEngine(t, oneTopic("      phrases: [\"Internet service\", \"IP address\", \"security policy\", \"ipv6\"]\n"))
	tests := []struct {
		text string
		want []string
	}{
		{"INTERNET SERVICES", []string{"INTERNET SERVICES"}},
		{"ip addresses and IP-address", []string{"ip addresses", "IP-address"}},
		{"Security policies", []string{"Security policies"}},
		{"IPv6 and IPV-6", []string{"IPv6", "IPV-6"}},
		{"internets service", []string{"internets service"}},
		{"address of IP", nil},
	}
	for _, tt := range tests {
		ms := e.Match(&model.Item{Content: tt.text})
		var got []string
		if len(ms) > 0 {
			got = hitTexts(ms[0])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: hits %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestPrefixTerms(t *testing.T) {
	e := mustEngine(t, oneTopic("      phrases: [\"regulat*\", \"internet govern*\", \"SG1*\"]\n"))
	tests := []struct {
		text string
		want []string
	}{
		{"Regulation of the net", []string{"Regulation"}},
		{"REGULATORS and regulat", []string{"REGULATORS", "regulat"}},
		{"deregulation", nil},
		{"regula", nil},
		{"Internet Governance Forum", []string{"Internet Governance"}},
		{"internet-governed", []string{"internet-governed"}},
		{"governance of the internet", nil},
		{"SG13 and SG17", []string{"SG13", "SG17"}},
		{"SG2", nil},
	}
	for _, tt := range tests {
		ms := e.Match(&model.Item{Content: tt.text})
		var got []string
		if len(ms) > 0 {
			got = hitTexts(ms[0])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: hits %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestNear(t *testing.T) {
	e := mustEngine(t, oneTopic(`      near: [["ITU", "ITU-T"], ["new protocol", "new IP"]]
      within: 3
`))
	tests := []struct {
		name string
		item model.Item
		want bool
	}{
		{"adjacent", model.Item{Content: "ITU new IP"}, true},
		{"reversed order", model.Item{Content: "a new protocol at the ITU"}, true},
		{"three words between", model.Item{Content: "ITU-T has one more new protocol"}, true},
		{"four words between", model.Item{Content: "ITU-T has one more big new protocol"}, false},
		{"only one side", model.Item{Content: "ITU and ITU-T"}, false},
		{"far apart then close", model.Item{Content: "ITU " + strings.Repeat("word ", 50) + "new IP and ITU"}, true},
		{"across fields", model.Item{Title: "ITU", Content: "new IP"}, false},
		{"in the title", model.Item{Title: "New IP at the ITU"}, true},
	}
	for _, tt := range tests {
		if got := len(e.Match(&tt.item)) == 1; got != tt.want {
			t.Errorf("%s: matched = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNearThreeGroupsAndSets(t *testing.T) {
	e := mustEngine(t, oneTopic(`      near: [{set: ctx}, "DNS", "root"]
      within: 4
`))
	tests := []struct {
		text string
		want bool
	}{
		{"ITU wants the DNS root", true},
		{"root of DNS for the study group", true},
		{"ITU wants the DNS but not one single root", false},
		{"DNS root", false},
	}
	for _, tt := range tests {
		if got := len(e.Match(&model.Item{Content: tt.text})) == 1; got != tt.want {
			t.Errorf("%q: matched = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestGroupsAndScoring(t *testing.T) {
	pack := `pack: t
sets:
  ctx: ["ITU", "ITU-T", "study group"]
topics:
  - id: anyscore
    name: any
    severity: low
    min_score: 4
    match:
      any:
        - {phrases: ["New IP", "Network 2030", "FG-NET2030"], weight: 2}
        - "IPv6+"
  - id: allnone
    name: all with none
    severity: high
    match:
      all:
        - {set: ctx}
        - {phrases: ["future internet protocol", "IPv6+"]}
      none:
        - {phrases: ["intellectual property"]}
  - id: mixed
    name: any and all together
    severity: critical
    match:
      any: ["WCIT", "ITRs"]
      all: ["treaty"]
`
	e := mustEngine(t, pack)
	tests := []struct {
		text   string
		want   []string
		scores []float64
	}{
		{"New IP", nil, nil},                  // 2 < 4
		{"New IP and new IP again", nil, nil}, // a term counts once
		{"New IP and Network 2030", []string{"anyscore"}, []float64{4}},
		{"New-IP, Network 2030 and FG NET2030, IPv6+", []string{"anyscore"}, []float64{7}},
		{"ITU-T discusses IPv6+", []string{"allnone"}, []float64{3}}, // ITU and ITU-T both occur
		{"ITU-T discusses IPv6+ and intellectual property", nil, nil},
		{"study group and ITU on future internet protocols", []string{"allnone"}, []float64{3}},
		{"WCIT treaty", []string{"mixed"}, []float64{2}},
		{"WCIT and ITRs", nil, nil},
		{"ITRs treaty, ITU-T IPv6+ New IP Network 2030", []string{"mixed", "allnone", "anyscore"}, []float64{2, 3, 5}},
	}
	for _, tt := range tests {
		ms := e.Match(&model.Item{Content: tt.text})
		var scores []float64
		for _, m := range ms {
			scores = append(scores, m.Score)
		}
		if !reflect.DeepEqual(topicIDs(ms), tt.want) || !reflect.DeepEqual(scores, tt.scores) {
			t.Errorf("%q: topics %v scores %v, want %v %v", tt.text, topicIDs(ms), scores, tt.want, tt.scores)
		}
	}
}

func TestSortBySeverityThenScore(t *testing.T) {
	pack := `pack: t
topics:
  - {id: a, name: A, severity: low, match: {phrases: [alpha, beta, gamma]}}
  - {id: b, name: B, severity: high, match: {phrase: alpha}}
  - {id: c, name: C, severity: high, match: {phrases: [alpha, beta]}}
  - {id: d, name: D, severity: critical, match: {phrase: delta}}
`
	e := mustEngine(t, pack)
	got := topicIDs(e.Match(&model.Item{Content: "alpha beta gamma delta"}))
	if want := []string{"d", "c", "b", "a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestFieldsAndSources(t *testing.T) {
	pack := `pack: t
topics:
  - id: title-only
    name: T
    severity: low
    match: {phrase: "Council", fields: [title]}
  - id: itu-sources
    name: S
    severity: low
    sources: ["itu-*", "press"]
    exclude_sources: ["itu-ds"]
    match: {phrase: "Council"}
`
	e := mustEngine(t, pack)
	tests := []struct {
		name string
		item model.Item
		want []string
	}{
		{"title, no source", model.Item{Title: "Council"}, []string{"title-only", "itu-sources"}},
		{"content only", model.Item{SourceID: "itu-news", Content: "Council"}, []string{"itu-sources"}},
		{"summary only, other source", model.Item{SourceID: "blog", Summary: "Council"}, nil},
		{"glob", model.Item{SourceID: "itu-council", Title: "Council"}, []string{"title-only", "itu-sources"}},
		{"exact", model.Item{SourceID: "press", Content: "Council"}, []string{"itu-sources"}},
		{"excluded", model.Item{SourceID: "itu-ds", Content: "Council"}, nil},
	}
	for _, tt := range tests {
		got := topicIDs(e.Match(&tt.item))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRegexLeaves(t *testing.T) {
	e := mustEngine(t, oneTopic(`      any:
        - {regex: '\bRes(?:olution|\.)?\s*102\b', weight: 2}
        - {regex: 'C\d{2}/\d+', fields: [title]}
`))
	tests := []struct {
		item  model.Item
		score float64
		hits  []string
	}{
		{model.Item{Content: "see Resolution 102 (Rev. Bucharest, 2022)"}, 2, []string{"Resolution 102"}},
		{model.Item{Content: "res. 102 and RES 102 and Res102"}, 2, []string{"res. 102", "RES 102", "Res102"}},
		{model.Item{Content: "Resolution 1020"}, 0, nil},
		{model.Item{Content: "C20/51"}, 0, nil},
		{model.Item{Title: "C20/51 and Res 102"}, 3, []string{"C20/51", "Res 102"}},
	}
	for _, tt := range tests {
		ms := e.Match(&tt.item)
		var score float64
		var hits []string
		if len(ms) > 0 {
			score, hits = ms[0].Score, hitTexts(ms[0])
		}
		if score != tt.score || !reflect.DeepEqual(hits, tt.hits) {
			t.Errorf("%+v: score %v hits %q, want %v %q", tt.item, score, hits, tt.score, tt.hits)
		}
	}
}

func TestHitsDistinctFirstAndCapped(t *testing.T) {
	e := mustEngine(t, oneTopic("      phrases: [alpha, beta]\n"))
	text := strings.Repeat("alpha ", 30) + "beta"
	ms := e.Match(&model.Item{Content: text})
	if len(ms) != 1 {
		t.Fatalf("no match")
	}
	h := ms[0].Hits
	if len(h) != maxHits {
		t.Fatalf("%d hits, want %d", len(h), maxHits)
	}
	if last := h[len(h)-1]; last.Term != "beta" || last.Start != len(text)-4 {
		t.Errorf("the distinct term beta was crowded out: %+v", last)
	}
	for _, x := range h {
		if text[x.Start:x.End] != x.Text {
			t.Errorf("hit %+v does not point at its text", x)
		}
	}
}

func TestSnippets(t *testing.T) {
	e := mustEngine(t, oneTopic("      phrases: [\"New IP\", \"ITU\"]\n"))
	filler := strings.Repeat("lorem ipsum dolor ", 30) // 540 bytes
	tests := []struct {
		name string
		item model.Item
		want []string // Plain("[", "]") of each snippet
	}{
		{"title first", model.Item{Title: "New IP at ITU", Content: "the ITU said"},
			[]string{"title:[New IP] at [ITU]", "content:the [ITU] said"}},
		{"cut at words with ellipses", model.Item{Content: filler + "New IP " + filler},
			[]string{"content:…dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor [New IP] lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem…"}},
		{"close hits merge", model.Item{Content: filler + "New IP and the ITU " + filler},
			[]string{"content:…dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor [New IP] and the [ITU] lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem ipsum dolor lorem…"}},
		{"white space folded", model.Item{Content: "New\n\tIP"},
			[]string{"content:[New IP]"}},
		{"at most three", model.Item{Content: "ITU " + filler + "ITU " + filler + "ITU " + filler + "New IP"},
			nil}, // checked below by count
	}
	for _, tt := range tests {
		ms := e.Match(&tt.item)
		if len(ms) != 1 {
			t.Errorf("%s: no match", tt.name)
			continue
		}
		var got []string
		for _, sn := range ms[0].Snippets {
			got = append(got, sn.Field+":"+sn.Plain("[", "]"))
		}
		if tt.want == nil {
			if len(got) != maxSnippets {
				t.Errorf("%s: %d snippets, want %d", tt.name, len(got), maxSnippets)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestSnippetsUTF8Safe(t *testing.T) {
	e := mustEngine(t, oneTopic("      any: [\"ITU\", {regex: 'x.y'}]\n"))
	texts := []string{
		strings.Repeat("é", 200) + " ITU " + strings.Repeat("日本", 100),
		strings.Repeat("ж", 300) + ",ITU," + strings.Repeat("ж", 300),
		"\xff\xfeITU\xff" + strings.Repeat("\xc3", 300),
		"x\xffy and ITU",
		strings.Repeat("\u202eمرحبا ", 40) + "ITU " + strings.Repeat("\u202eمرحبا ", 40),
	}
	for _, text := range texts {
		ms := e.Match(&model.Item{Content: text})
		if len(ms) != 1 {
			t.Errorf("%q: no match", text[:20])
			continue
		}
		for _, sn := range ms[0].Snippets {
			hasHit := false
			for _, p := range sn.Parts {
				if !utf8.ValidString(p.Text) {
					t.Errorf("snippet part %q is not valid UTF-8", p.Text)
				}
				hasHit = hasHit || p.Hit
			}
			if !hasHit {
				t.Errorf("snippet %q marks no hit", sn.Plain("[", "]"))
			}
			if n := len(sn.Plain("", "")); n > 2*snippetBytes {
				t.Errorf("snippet is %d bytes", n)
			}
		}
		for _, h := range ms[0].Hits {
			if !utf8.ValidString(h.Text) {
				t.Errorf("hit %q is not valid UTF-8", h.Text)
			}
		}
	}
}

func TestCompileOverrideAndMergeSets(t *testing.T) {
	base := `pack: base
sets:
  ctx: ["ITU"]
topics:
  - {id: a, name: A, severity: low, match: {all: [{set: ctx}, "protocol"]}}
  - {id: b, name: B, severity: low, match: {phrase: "beta"}}
`
	user := `pack: user
sets:
  ctx: ["CWG-Internet"]
topics:
  - {id: b, name: B2, severity: critical, match: {phrase: "gamma"}}
  - {id: c, name: C, severity: low, match: {set: ctx}}
`
	e := mustEngine(t, base, user)
	var ids []string
	for _, tp := range e.Topics() {
		ids = append(ids, tp.ID+"/"+tp.Name)
	}
	if want := []string{"a/A", "b/B2", "c/C"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("topics %v, want %v", ids, want)
	}
	if tp, ok := e.Topic("b"); !ok || tp.Severity != model.SeverityCritical || tp.MinScore != 1 {
		t.Errorf("Topic(b) = %+v, %v", tp, ok)
	}
	if _, ok := e.Topic("zz"); ok {
		t.Error("Topic(zz) found")
	}
	tests := []struct {
		text string
		want []string
	}{
		{"beta", nil},
		{"gamma", []string{"b"}},
		{"CWG-Internet protocol", []string{"a", "c"}},
		{"ITU", []string{"c"}},
	}
	for _, tt := range tests {
		if got := topicIDs(e.Match(&model.Item{Content: tt.text})); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	if _, err := Compile(); err == nil {
		t.Error("Compile() with no packs succeeded")
	}
	// A set defined only in the built-in pack may be used by a user pack,
	// but then the built-in pack must be loaded too.
	builtin, err := LoadPack("builtin:itu")
	if err != nil {
		t.Fatal(err)
	}
	var setName string
	for name := range builtinSets() {
		setName = name
		break
	}
	if setName == "" {
		t.Skip("the built-in pack defines no sets")
	}
	user, err := ParsePack("user.yaml", []byte("pack: u\ntopics:\n  - {id: u, name: U, severity: low, match: {set: "+setName+"}}\n"))
	if err != nil {
		t.Fatalf("ParsePack of a pack using a built-in set: %v", err)
	}
	_, err = Compile(user)
	if err == nil || !strings.Contains(err.Error(), "user.yaml:3: topic u: unknown set") || !strings.Contains(err.Error(), "load builtin:itu") {
		t.Errorf("Compile(user) error = %v", err)
	}
	if _, err := Compile(builtin, user); err != nil {
		t.Errorf("Compile(builtin, user): %v", err)
	}
}

func TestLoadPack(t *testing.T) {
	if _, err := LoadPack("builtin:nope"); err == nil || !strings.Contains(err.Error(), "builtin:itu") {
		t.Errorf("LoadPack(builtin:nope) error = %v, want it to list builtin:itu", err)
	}
	if _, err := LoadPack("testdata/does-not-exist.yaml"); err == nil {
		t.Error("LoadPack of a missing file succeeded")
	}
	p, err := LoadPack("builtin:itu")
	if err != nil {
		t.Fatalf("LoadPack(builtin:itu): %v", err)
	}
	if p.Name == "" || p.Source != "itu.yaml" {
		t.Errorf("builtin pack Name=%q Source=%q", p.Name, p.Source)
	}
	if _, err := Compile(p); err != nil {
		t.Errorf("Compile(builtin:itu): %v", err)
	}
}

func TestMatchNoAllocsWithoutMatches(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	e := mustEngine(t, oneTopic("      near: [\"ITU\", \"regulat*\"]\n"))
	it := &model.Item{Title: "Weather report", Content: strings.Repeat("Sunny spells and light rain across the region. ", 40)}
	e.Match(it)
	if n := testing.AllocsPerRun(100, func() { e.Match(it) }); n != 0 {
		t.Errorf("Match of a non-matching item allocates %v times", n)
	}
}

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`\bres(?:olution|\.)?\s*(?:101|102)\b`, []string{"res"}},
		{`\b(?:PP|WTSA|WTDC)-?\d{2}\b`, []string{"pp", "wt"}}, // the parser factors WT out
		{`\bY\.2770\b|\bH\.626|\bF\.VSS`, []string{"y.2770", "h.626", "f.vss"}},
		{`IPv6\s?\+|IPv6 Enhanced`, []string{"ipv6"}},
		{`(ab)+c`, []string{"ab"}},
		{`a?b*`, nil},
		{`\d+|x`, nil},
		{`Ünion`, nil},
	}
	for _, tt := range tests {
		var got []string
		lits, _ := requiredLiterals(tt.expr)
		for _, l := range lits {
			got = append(got, string(l))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("requiredLiterals(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
	// The filter must not hide matches through case folding.
	e := mustEngine(t, oneTopic("      regex: 'resolution\\s*102'\n"))
	for _, text := range []string{"RESOLUTION 102", "Resolution 102", "re\u017folution 102"} {
		if len(e.Match(&model.Item{Content: text})) != 1 {
			t.Errorf("%q: regex prefilter hid the match", text)
		}
	}
}

// Compile lists every topic that uses a set no loaded pack defines, one a
// line, in the packs' order, worded as ParsePack words its problems.
func TestCompileListsEveryUnknownSet(t *testing.T) {
	user, err := ParsePack("user.yaml", []byte("pack: u\ntopics:\n  - {id: b, name: B, severity: low, match: {set: itu_context}}\n  - {id: a, name: A, severity: low, match: {any: [{phrase: x}, {set: itu_context}]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(user)
	want := `user.yaml:3: topic b: unknown set "itu_context"; it is defined in builtin:itu, so load builtin:itu before this pack` + "\n" +
		`user.yaml:4: topic a: unknown set "itu_context"; it is defined in builtin:itu, so load builtin:itu before this pack`
	if err == nil || err.Error() != want {
		t.Errorf("Compile(user) error =\n%v\nwant\n%s", err, want)
	}
}

// A long text that mentions a topic once, far down, is dropped by salience;
// dropping it must not first build the hits and snippets it will not return.
func TestMatchNoAllocsForPassingMention(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	e := mustEngine(t, oneTopic("      any: [\"spectrum auction\"]\n"))
	filler := strings.Repeat("Sunny spells and light rain across the region. ", 40)
	it := &model.Item{Title: "Weather report", Content: filler + "A spectrum auction was mentioned in passing. " + filler}
	if m := e.Match(it); m != nil {
		t.Fatalf("a passing mention matched: %+v", m)
	}
	lead := &model.Item{Title: "Weather report", Content: "A spectrum auction opens. " + filler}
	if m := e.Match(lead); len(m) != 1 {
		t.Fatalf("the same phrase in the lead: %d matches, want 1", len(m))
	}
	if n := testing.AllocsPerRun(100, func() { e.Match(it) }); n != 0 {
		t.Errorf("Match of a passing mention allocates %v times", n)
	}
}
