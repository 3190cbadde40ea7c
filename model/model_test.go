package model

import "testing"

func TestParseDestination(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"console", "console", false},
		{"slack:#itu-alerts", "slack:#itu-alerts", false},
		{"slack:C0123ABCD", "slack:C0123ABCD", false},
		{"matrix:!abc:example.org", "matrix:!abc:example.org", false},
		{"matrix:#policy:example.org", "matrix:#policy:example.org", false},
		{"slack:", "", true},
		{"matrix:abc", "", true},
		{"console:x", "", true},
		{"email:a@b", "", true},
	}
	for _, tt := range tests {
		got, err := ParseDestination(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDestination(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got.String() != tt.want {
			t.Errorf("ParseDestination(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSeverityRoundTrip(t *testing.T) {
	for _, name := range []string{"low", "Medium", "HIGH", "critical"} {
		s, err := ParseSeverity(name)
		if err != nil {
			t.Fatalf("ParseSeverity(%q): %v", name, err)
		}
		var back Severity
		text, _ := s.MarshalText()
		if err := back.UnmarshalText(text); err != nil || back != s {
			t.Errorf("round trip %q: got %v, %v", name, back, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Error("ParseSeverity(urgent) succeeded, want error")
	}
}

func TestFingerprintChangesWithText(t *testing.T) {
	a := Item{SourceID: "s", ID: "1", Title: "Council document", Content: "text"}
	b := a
	b.Title = "Council document (Rev.1)"
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("fingerprint did not change when the title changed")
	}
	c := a
	if a.Fingerprint() != c.Fingerprint() {
		t.Error("fingerprint of identical items differs")
	}
}

// Stored fingerprints must stay valid across versions: an item whose
// fingerprint changed would alert as updated.
func TestFingerprintIsStable(t *testing.T) {
	for _, tc := range []struct {
		it   Item
		want string
	}{
		{Item{Title: "New IP", Summary: "TSAG", Content: "text", Link: "https://a.example/1"}, "dc3e9bf1844f1dd6be1ad9d0feba73a2"},
		{Item{Title: "Council", Document: &DocumentRef{Revision: "Rev.1", Languages: []string{"E", "F"}}}, "a17e01f473bbc2465870dca39eacbbaa"},
	} {
		if got := tc.it.Fingerprint(); got != tc.want {
			t.Errorf("Fingerprint of %q = %s, want %s", tc.it.Title, got, tc.want)
		}
	}
}
