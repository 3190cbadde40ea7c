package rules

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// The topics the built-in pack must define; config routes and chat commands
// name them, so renaming one is a breaking change.
var builtinTopicIDs = []string{
	"mandate-creep", "new-ip", "ott", "ipv6-addressing", "dns-naming", "cybersecurity", "surveillance",
}

// The quality bar of the built-in pack on the labelled development corpus.
// The pack is tuned to clear it with a margin (macro F1 >= 0.92, every topic
// >= 0.85), so a failure here means a rule edit lost real alerts or let
// traps through.
const (
	minMacroF1       = 0.90
	minTopicF1       = 0.80
	minCorpusItems   = 200
	minTopicPositive = 20
)

func compileBuiltinITU(t *testing.T) *Engine {
	t.Helper()
	p, err := LoadPack("builtin:itu")
	if err != nil {
		t.Fatalf("load builtin:itu: %v", err)
	}
	e, err := Compile(p)
	if err != nil {
		t.Fatalf("compile builtin:itu: %v", err)
	}
	return e
}

func TestBuiltinPackMeetsQualityBar(t *testing.T) {
	e := compileBuiltinITU(t)
	for _, id := range builtinTopicIDs {
		topic, ok := e.Topic(id)
		if !ok {
			t.Errorf("builtin:itu has no topic %q", id)
			continue
		}
		if topic.Name == "" || strings.TrimSpace(topic.Annotation) == "" {
			t.Errorf("topic %q needs a name and an annotation", id)
		}
		if topic.Severity == model.SeverityUnknown {
			t.Errorf("topic %q has no severity", id)
		}
	}

	f, err := os.Open("testdata/corpus.jsonl")
	if err != nil {
		t.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	corpus, err := ReadCorpus(f)
	if err != nil {
		t.Fatalf("read corpus: %v", err)
	}

	if len(corpus) < minCorpusItems {
		t.Errorf("corpus has %d items, want at least %d", len(corpus), minCorpusItems)
	}
	positives := map[string]int{}
	negatives := 0
	for _, li := range corpus {
		if len(li.Labels) == 0 {
			negatives++
		}
		for _, l := range li.Labels {
			if !slices.Contains(builtinTopicIDs, l) {
				t.Errorf("corpus item %s has label %q, which is not a topic of builtin:itu", li.ID, l)
			}
			positives[l]++
		}
	}
	for _, id := range builtinTopicIDs {
		if positives[id] < minTopicPositive {
			t.Errorf("corpus has %d positives for %q, want at least %d", positives[id], id, minTopicPositive)
		}
	}

	rep := Evaluate(e, corpus)

	var b strings.Builder
	fmt.Fprintf(&b, "corpus: %d items, %d with no label\n", len(corpus), negatives)
	fmt.Fprintf(&b, "%-16s %9s %6s %6s %4s %4s %4s %4s\n", "topic", "precision", "recall", "F1", "pos", "TP", "FP", "FN")
	for _, id := range builtinTopicIDs {
		s := rep.Topics[id]
		fmt.Fprintf(&b, "%-16s %9.3f %6.3f %6.3f %4d %4d %4d %4d\n", id, s.Precision, s.Recall, s.F1, positives[id], s.TP, s.FP, s.FN)
	}
	fmt.Fprintf(&b, "macro F1 %.3f\n", rep.MacroF1)
	mistakes := slices.Clone(rep.Mistakes)
	sort.SliceStable(mistakes, func(i, j int) bool { return mistakes[i].Topic < mistakes[j].Topic })
	for _, m := range mistakes {
		fmt.Fprintf(&b, "  %-14s %-16s %s %q\n", m.Kind, m.Topic, m.ItemID, m.Title)
	}
	t.Log("\n" + b.String())

	if rep.MacroF1 < minMacroF1 {
		t.Errorf("macro F1 %.3f is below the bar of %.2f (table above)", rep.MacroF1, minMacroF1)
	}
	for _, id := range builtinTopicIDs {
		if f1 := rep.Topics[id].F1; f1 < minTopicF1 {
			t.Errorf("topic %q F1 %.3f is below the bar of %.2f (table above)", id, f1, minTopicF1)
		}
	}
}

// TestBuiltinPackClassicTraps pins the behaviour on short hand-written
// sentences, independent of the corpus: the real alerts must fire and the
// classic false alarms of DOMAIN.md must not.
func TestBuiltinPackClassicTraps(t *testing.T) {
	e := compileBuiltinITU(t)
	tests := []struct {
		name  string
		title string
		text  string
		want  []string // topics that must match
		not   []string // topics that must not match
	}{
		{
			name:  "strong phrase alone: CWG-Internet",
			title: "CWG-Internet meets next week",
			want:  []string{"mandate-creep"},
		},
		{
			name:  "resolution number in its long form",
			title: "Draft revision of Resolution 102 (Rev. Bucharest, 2022)",
			want:  []string{"mandate-creep"},
		},
		{
			name:  "abbreviated resolution number",
			title: "Proposals on Res. 133 for the next Plenipotentiary",
			text:  "The proposal concerns multilingual domain names.",
			want:  []string{"mandate-creep", "dns-naming"},
		},
		{
			name:  "mandate in an unrelated sense",
			title: "Court upholds mask mandate",
			text:  "The governor's mandate survives a legal challenge.",
			not:   builtinTopicIDs,
		},
		{
			name:  "generic UN reform",
			title: "UN reform plan would merge Geneva agencies",
			text:  "The Secretary-General wants to cut posts and consolidate mandates across the UN system.",
			not:   builtinTopicIDs,
		},
		{
			name:  "New IP proposal at ITU-T",
			title: "New IP proposal returns to ITU-T",
			text:  "The proposal would redesign the Internet protocol inside a study group.",
			want:  []string{"new-ip"},
		},
		{
			name:  "focus group spelled with stray hyphens",
			title: "FG NET-2030 output adopted",
			want:  []string{"new-ip"},
		},
		{
			name:  "new IP as intellectual property",
			title: "Studio bets on new IP",
			text:  "The studio will launch a new IP next year instead of another sequel.",
			not:   []string{"new-ip"},
		},
		{
			name:  "new IP address",
			title: "How to get a new IP address",
			text:  "Restart your router to get a new IP address from your Internet provider.",
			not:   []string{"new-ip", "ipv6-addressing"},
		},
		{
			name:  "new IP camera",
			title: "Vendor launches new IP camera",
			text:  "The new IP camera streams 4K video to the cloud.",
			not:   []string{"new-ip", "surveillance"},
		},
		{
			name:  "OTT regulation at the ITU",
			title: "ITU-T Study Group 3 to study taxation of OTT services",
			want:  []string{"ott"},
		},
		{
			name:  "OTT streaming subscriber news",
			title: "OTT platform passes 20 million subscribers",
			text:  "The streaming service grew fastest in India.",
			not:   []string{"ott"},
		},
		{
			name:  "ITU as address registry",
			title: "ITU proposes country blocks of IPv6 addresses",
			want:  []string{"ipv6-addressing"},
		},
		{
			name:  "routine IPv6 deployment",
			title: "Operator finishes IPv6 rollout",
			text:  "All broadband customers now get native IPv6 addresses.",
			not:   []string{"ipv6-addressing"},
		},
		{
			name:  "ccTLD sovereignty at the ITU",
			title: "Plenipotentiary proposal on ccTLD sovereignty",
			want:  []string{"dns-naming"},
		},
		{
			name:  "DNS outage",
			title: "DNS outage takes big sites offline",
			text:  "A misconfiguration at a DNS provider broke resolution for two hours.",
			not:   []string{"dns-naming"},
		},
		{
			name:  "Global Cybersecurity Index",
			title: "Global Cybersecurity Index 2026 published",
			want:  []string{"cybersecurity"},
		},
		{
			name:  "ordinary breach",
			title: "Retailer breach exposes card data",
			text:  "Attackers exploited a vulnerability in the payment system.",
			not:   []string{"cybersecurity"},
		},
		{
			name:  "facial recognition standard at SG16",
			title: "ITU-T SG16 drafts facial recognition requirements",
			want:  []string{"surveillance"},
		},
		{
			name:  "police facial recognition ban without the ITU",
			title: "City bans police facial recognition",
			not:   []string{"surveillance"},
		},
		{
			name:  "ITU spectrum work",
			title: "WRC-27 preparations: ITU-R studies new mobile bands",
			text:  "The Radiocommunication Sector is studying spectrum and satellite filings.",
			not:   builtinTopicIDs,
		},
		{
			name:  "ITU elections and gender resolution",
			title: "Plenipotentiary elects Secretary-General",
			text:  "Delegates also reviewed Resolution 70 on gender mainstreaming and Res. 139 on the digital divide.",
			not:   builtinTopicIDs,
		},
		{
			name:  "AI for Good and emergency telecoms",
			title: "AI for Good summit opens as ITU sends emergency telecoms kits",
			not:   builtinTopicIDs,
		},
		{
			name:  "income tax returns are not the ITRs",
			title: "Deadline for filing ITRs extended",
			text:  "Taxpayers now have until September to file their ITRs with the tax department.",
			not:   []string{"mandate-creep"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := model.Item{ID: "t", Title: tt.title, Content: tt.text}
			var got []string
			for _, m := range e.Match(&it) {
				got = append(got, m.Topic)
			}
			for _, id := range tt.want {
				if !slices.Contains(got, id) {
					t.Errorf("topic %q did not match; matched %v", id, got)
				}
			}
			for _, id := range tt.not {
				if slices.Contains(got, id) {
					t.Errorf("topic %q matched but must not; matched %v", id, got)
				}
			}
		})
	}
}

// TestBuiltinPackHoldsUpOnUnseenItems scores the pack on sets it is never
// tuned on: items written by someone who never saw the rules
// (holdout.jsonl), summaries of real public pages (realtext_holdout.jsonl,
// issue 16's bar: macro F1 0.90, every topic 0.80) and the five other
// languages (langs_holdout.jsonl). It catches a change that overfits the
// development corpus at the expense of new wording.
func TestBuiltinPackHoldsUpOnUnseenItems(t *testing.T) {
	p, err := LoadPack("builtin:itu")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file          string
		macro, perTop float64
	}{
		{"testdata/holdout.jsonl", 0.85, 0.70},
		{"testdata/realtext_holdout.jsonl", 0.90, 0.80},
		{"testdata/langs_holdout.jsonl", 0.90, 0.80},
	} {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			items, err := ReadCorpus(f)
			if err != nil {
				t.Fatal(err)
			}
			rep := Evaluate(e, items)
			t.Logf("held-out macro F1 %.3f over %d items", rep.MacroF1, len(items))
			if rep.MacroF1 < tt.macro {
				t.Errorf("held-out macro F1 %.3f is below %.2f", rep.MacroF1, tt.macro)
			}
			for id, s := range rep.Topics {
				if s.F1 < tt.perTop {
					t.Errorf("held-out F1 of %s is %.3f, below %.2f", id, s.F1, tt.perTop)
				}
			}
		})
	}
}
