package itudoc

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestProposers(t *testing.T) {
	tests := []struct {
		source string
		want   []string
	}{
		{"Russian Federation", []string{"Russian Federation"}},
		{"Russia", []string{"Russian Federation"}},
		{"China", []string{"China (People's Republic of)"}},
		{"People's Republic of China", []string{"China (People's Republic of)"}},
		{"China (People’s Republic of)", []string{"China (People's Republic of)"}},
		{"Iran (Islamic Republic of)", []string{"Iran (Islamic Republic of)"}},
		{"Korea (Republic of)", []string{"Korea (Republic of)"}},
		{"United States of America", []string{"United States"}},
		{"USA", []string{"United States"}},
		{"Brazil, Mexico and Paraguay", []string{"Brazil", "Mexico", "Paraguay"}},
		{"Brazil, Mexico, and Paraguay", []string{"Brazil", "Mexico", "Paraguay"}},
		{"Saudi Arabia; Egypt; United Arab Emirates", []string{"Saudi Arabia", "Egypt", "United Arab Emirates"}},
		// Names that hold "and" or a comma stay whole.
		{"Trinidad and Tobago, Saint Kitts and Nevis and Jamaica", []string{"Trinidad and Tobago", "Saint Kitts and Nevis", "Jamaica"}},
		{"Bosnia and Herzegovina", []string{"Bosnia and Herzegovina"}},
		{"United Kingdom of Great Britain and Northern Ireland", []string{"United Kingdom"}},
		{"Côte d'Ivoire", []string{"Côte d'Ivoire"}},
		{"Cote d’Ivoire (Republic of)", []string{"Côte d'Ivoire"}},
		{"Türkiye", []string{"Türkiye"}},
		{"Turkey", []string{"Türkiye"}},
		// Regional groups under ITU's labels.
		{"Member States of the Regional Commonwealth in the field of Communications (RCC)", []string{"RCC"}},
		{"Regional Commonwealth in the field of Communications", []string{"RCC"}},
		{"African Common Proposals", []string{"ATU"}},
		{"Arab Group", []string{"Arab States"}},
		{"Common Proposals of the Arab Group", []string{"Arab States"}},
		{"Common Proposals of CEPT", []string{"CEPT"}},
		{"European Conference of Postal and Telecommunications Administrations (CEPT)", []string{"CEPT"}},
		{"Inter-American Proposals (IAP)", []string{"CITEL"}},
		{"Asia-Pacific Telecommunity Common Proposals (ACP)", []string{"APT"}},
		{"APT Common Proposals (ACPs)", []string{"APT"}},
		{"African Common Proposals (ACP)", []string{"ATU"}},
		{"Proposals of the African Telecommunications Union Administrations for the work of the Conference", []string{"ATU"}},
		// Co-signers in brackets; a group beside its members.
		{"Russian Federation (Armenia, Belarus, Kazakhstan and Kyrgyzstan)", []string{"Russian Federation", "Armenia", "Belarus", "Kazakhstan", "Kyrgyzstan"}},
		{"Russian Federation (RCC)", []string{"Russian Federation", "RCC"}},
		{"RCC; Russian Federation", []string{"RCC", "Russian Federation"}},
		// Sector members are kept as written, their country with them.
		{"Huawei Technologies Co., Ltd. (China)", []string{"Huawei Technologies Co., Ltd. (China)"}},
		{"China Mobile, China Unicom, Huawei Technologies Co., Ltd.", []string{"China Mobile", "China Unicom", "Huawei Technologies Co., Ltd."}},
		{"China Telecom, China", []string{"China Telecom", "China (People's Republic of)"}},
		{"Arab Satellite Communications Organization (ARABSAT)", []string{"Arab Satellite Communications Organization (ARABSAT)"}},
		{"Ministry of Science and ICT (Korea)", []string{"Ministry of Science and ICT (Korea)"}},
		{"Internet Society (sector member)", []string{"Internet Society"}},
		{"France (Member State)", []string{"France"}},
		{"  European   Commission ", []string{"European Commission"}},
		{"Internet Society, ISOC", []string{"Internet Society", "ISOC"}},
		// Officials.
		{"Secretary-General", []string{"Secretary-General"}},
		{"Note by the Secretary-General", []string{"Secretary-General"}},
		{"Director, TSB", []string{"Director, TSB"}},
		{"TSB", []string{"Director, TSB"}},
		{"Director, TSB; Director, BR", []string{"Director, TSB", "Director, BR"}},
		{"Chairman, CWG-Internet", []string{"Chair, CWG-Internet"}},
		{"Chairman of the Council Working Group on International Internet-related Public Policy Issues", []string{"Chair, Council Working Group on International Internet-related Public Policy Issues"}},
		{"Vice-Chairman, TSAG", []string{"Vice-Chair, TSAG"}},
		{"Chairman, TSAG, Brazil", []string{"Chair, TSAG", "Brazil"}},
		{"Bolivia (Plurinational State of), Venezuela (Bolivarian Republic of) and Cuba", []string{"Bolivia (Plurinational State of)", "Venezuela (Bolivarian Republic of)", "Cuba"}},
		{"Korea (Democratic People's Republic of)", []string{"Democratic People's Republic of Korea"}},
		{"Lao P.D.R.", []string{"Lao People's Democratic Republic"}},
		{"Antigua and Barbuda, Saint Vincent and the Grenadines & Bahamas", []string{"Antigua and Barbuda", "Saint Vincent and the Grenadines", "Bahamas"}},
		{"Democratic Republic of the Congo and Congo (Republic of the)", []string{"Democratic Republic of the Congo", "Congo (Republic of the)"}},
		{"Arab States (Algeria, Bahrain, Egypt)", []string{"Arab States", "Algeria", "Bahrain", "Egypt"}},
		{"Member States of the Asia-Pacific Telecommunity", []string{"APT"}},
		{"Administration of the United States of America", []string{"United States"}},
		{"Iran (Islamic Republic of)\nIraq", []string{"Iran (Islamic Republic of)", "Iraq"}},
		// Duplicates once; nothing from nothing.
		{"Russia, Russian Federation", []string{"Russian Federation"}},
		{"", nil},
		{" ; , ", nil},
	}
	for _, tt := range tests {
		if got := Proposers(tt.source); !slices.Equal(got, tt.want) {
			t.Errorf("Proposers(%q) = %q, want %q", tt.source, got, tt.want)
		}
	}
}

func TestProposerName(t *testing.T) {
	tests := []struct {
		in   string
		want string
		kind ProposerKind
	}{
		{"rcc", "RCC", RegionalGroup},
		{"Arab States", "Arab States", RegionalGroup},
		{"arab group", "Arab States", RegionalGroup},
		{"russia", "Russian Federation", MemberState},
		{"Korea", "Korea (Republic of)", MemberState},
		{"DPRK", "Democratic People's Republic of Korea", MemberState},
		{"the Administration of France", "France", MemberState},
		{"secretary general", "Secretary-General", Official},
	}
	for _, tt := range tests {
		got, kind, ok := ProposerName(tt.in)
		if !ok || got != tt.want || kind != tt.kind {
			t.Errorf("ProposerName(%q) = %q, %v, %v; want %q, %v", tt.in, got, kind, ok, tt.want, tt.kind)
		}
	}
	for _, unknown := range []string{"Huawei", "China Mobile", "Rusia", ""} {
		if got, _, ok := ProposerName(unknown); ok {
			t.Errorf("ProposerName(%q) = %q, want unknown", unknown, got)
		}
	}
}

func TestSameProposer(t *testing.T) {
	tests := []struct {
		want, p string
		same    bool
	}{
		{"Russia", "Russian Federation", true},
		{"RCC", "RCC", true},
		{"Regional Commonwealth in the field of Communications", "RCC", true},
		{"China", "China (People's Republic of)", true},
		{"China", "China Mobile", false},
		{"huawei technologies co., ltd. (china)", "Huawei Technologies Co., Ltd. (China)", true},
		{"Huawei", "Huawei Technologies Co., Ltd. (China)", false},
		{"ATU", "Arab States", false},
	}
	for _, tt := range tests {
		if got := SameProposer(tt.want, tt.p); got != tt.same {
			t.Errorf("SameProposer(%q, %q) = %v, want %v", tt.want, tt.p, got, tt.same)
		}
	}
}

// Every Member State's canonical name and aliases lead back to it, and no
// alias names two proposers.
func TestProposerTableConsistent(t *testing.T) {
	seen := map[string]string{}
	for _, list := range [][]string{regionalGroups, memberStates, officials} {
		for _, line := range list {
			names := splitAliases(line)
			for _, n := range names {
				f := foldProposer(n)
				if prev, dup := seen[f]; dup && prev != names[0] {
					t.Errorf("%q names both %q and %q", n, prev, names[0])
				}
				seen[f] = names[0]
				if got := Proposers(n); !slices.Equal(got, []string{names[0]}) {
					t.Errorf("Proposers(%q) = %q, want [%q]", n, got, names[0])
				}
			}
		}
	}
	if n := len(memberStates); n < 193 {
		t.Errorf("%d Member States, ITU has 193", n)
	}
}

func TestCheckProposer(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"Russia", "Russian Federation", ""},
		{"arab group", "Arab States", ""},
		{"  Huawei   Technologies ", "Huawei Technologies", ""},
		{"Rusia", "", `did you mean "Russia", that is "Russian Federation"?`},
		{"CITELL", "", `did you mean "CITEL"?`},
		{" ", "", "empty"},
	}
	for _, tt := range tests {
		got, err := CheckProposer(tt.in)
		if tt.err == "" && (err != nil || got != tt.want) {
			t.Errorf("CheckProposer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckProposer(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
}

// Whatever a listing holds, Proposers does not panic, gives tidy non-empty
// names, and reads its own output back unchanged.
func FuzzProposers(f *testing.F) {
	for _, s := range []string{"Brazil, Mexico and Paraguay", "Russian Federation (Armenia, Belarus)", "Huawei Technologies Co., Ltd. (China)",
		"Chairman, TSAG, Brazil", "((", "), and ,", "Director,", "Common Proposals of CEPT; RCC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range Proposers(s) {
			if p == "" || p != strings.TrimSpace(p) {
				t.Fatalf("Proposers(%q) gave %q", s, p)
			}
			if c, _, ok := ProposerName(p); ok && c != p {
				t.Fatalf("Proposers(%q) gave %q, which is not canonical (%q)", s, p, c)
			}
		}
	})
}

// A hostile page's source cell costs little: the input is capped and
// brackets are followed only so deep. (Before the cap, "(x and y, z) "
// repeated took 15 s.) The bound is loose for slow, race-enabled CI.
func TestProposersHostileInputIsCheap(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("(", 5000) + strings.Repeat(")", 5000),
		strings.Repeat("a (b, ", 2000) + strings.Repeat(")", 2000),
		strings.Repeat("x, ", 10000),
		strings.Repeat("(x and y, z) ", 3000),
		strings.Repeat("Brazil and ", 5000),
	} {
		start := time.Now()
		got := Proposers(s)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Proposers of %d bytes (%.20q…) took %v", len(s), s, d)
		}
		if strings.HasPrefix(s, "Brazil") && !slices.Equal(got, []string{"Brazil"}) {
			t.Errorf("Proposers(Brazil and …) = %q", got)
		}
	}
}

func BenchmarkProposers(b *testing.B) {
	cells := []string{
		"Russian Federation",
		"Member States of the Regional Commonwealth in the field of Communications (RCC)",
		"Brazil, Mexico and Paraguay",
		"Huawei Technologies Co., Ltd. (China)",
	}
	for b.Loop() {
		for _, c := range cells {
			Proposers(c)
		}
	}
}
