package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// A topic limited by proposers fires only for documents one of them
// proposed, whatever name the pack or the listing used.
func TestTopicLimitedByProposers(t *testing.T) {
	p, err := ParsePack("p.yaml", []byte(`pack: p
topics:
  - id: rcc-ipv6
    name: RCC on IPv6
    severity: high
    proposers: ["Russia", "Regional Commonwealth in the field of Communications"]
    match: {phrase: "IPv6"}
  - id: ipv6
    name: IPv6
    severity: low
    match: {phrase: "IPv6"}
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	doc := func(proposers ...string) *model.DocumentRef {
		return &model.DocumentRef{Number: "PP-26/45", Proposers: proposers}
	}
	tests := []struct {
		name string
		item model.Item
		want []string
	}{
		{"the group", model.Item{SourceID: "pp", Title: "IPv6 address blocks", Document: doc("RCC")}, []string{"rcc-ipv6", "ipv6"}},
		{"the state among others", model.Item{SourceID: "pp", Title: "IPv6 address blocks", Document: doc("Brazil", "Russian Federation")}, []string{"rcc-ipv6", "ipv6"}},
		{"someone else", model.Item{SourceID: "pp", Title: "IPv6 address blocks", Document: doc("CEPT")}, []string{"ipv6"}},
		{"no document", model.Item{SourceID: "news", Title: "Russia and the RCC on IPv6"}, []string{"ipv6"}},
		// Stored before proposers were read: the listing's words count.
		{"submitter only", model.Item{SourceID: "pp", Title: "IPv6", Document: &model.DocumentRef{Number: "PP-26/46", Submitter: "Russia; Belarus"}}, []string{"rcc-ipv6", "ipv6"}},
		{"words but no match", model.Item{SourceID: "pp", Title: "Spectrum", Document: doc("RCC")}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range e.Match(&tt.item) {
			got = append(got, m.Topic)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: topics = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTopicProposersValidated(t *testing.T) {
	const head = "pack: p\ntopics:\n  - id: t\n    name: T\n    severity: low\n    match: {phrase: x}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"typo of a state", "    proposers: [\"Rusia\"]\n", `proposers: "Rusia" is not a proposer ituwatch knows (did you mean "Russia", that is "Russian Federation"?)`},
		{"typo of a group", "    proposers: [\"CPET\"]\n", `did you mean "CEPT"?`},
		{"empty", "    proposers: []\n", "proposers is an empty list"},
		{"not a list", "    proposers: {a: b}\n", "proposers must be a list"},
	}
	for _, tt := range tests {
		_, err := ParsePack("p.yaml", []byte(head+tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want it to say %q", tt.name, err, tt.want)
		}
	}
	// A sector member far from every known name is kept as written.
	if _, err := ParsePack("p.yaml", []byte(head+"    proposers: [\"Huawei Technologies Co., Ltd. (China)\", \"Arab States\"]\n")); err != nil {
		t.Errorf("sector member and group refused: %v", err)
	}
}
