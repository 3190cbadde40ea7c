package itudoc

import (
	"slices"
	"testing"
)

func TestBodies(t *testing.T) {
	tests := []struct {
		series string
		want   []string
	}{
		{"C", []string{"Council"}},
		{"CWG-Internet", []string{"Council", "CWG-Internet"}},
		{"CWG-WSIS&SDG", []string{"Council", "CWG-WSIS&SDG"}},
		{"PP", []string{"PP"}},
		{"WTSA", []string{"WTSA"}},
		{"TSAG-TD", []string{"TSAG"}},
		{"SG17-C", []string{"SG17"}},
		{"FG-NET2030-TD", []string{"FG-NET2030"}},
		{"TD", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Bodies(tt.series); !slices.Equal(got, tt.want) {
			t.Errorf("Bodies(%q) = %q, want %q", tt.series, got, tt.want)
		}
	}
}

func TestBodiesNamedIn(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Council 2026 \n Documents", []string{"Council"}},
		{"Council Working Group on International Internet-related Public Policy Issues", []string{"Council", "CWG-Internet"}},
		{"PP-22 Bucharest", []string{"PP"}},
		{"ITU-T Study Group 17 (Security)", []string{"SG17"}},
		{"TSAG and SG13 and SG16", []string{"TSAG", "SG13"}},
		{"council meeting, lower case", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := BodiesNamedIn(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("BodiesNamedIn(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestIsDocumentFile(t *testing.T) {
	tests := []struct {
		link string
		want bool
	}{
		{"https://www.itu.int/dms_pub/itu-s/md/22/cl/c/S22-CL-C-0065!R1!MSW-F.docx", true},
		{"https://www.itu.int/md/S22-CL-C-0065.PDF", true},
		{"/files/a.zip?x=1", true},
		{"https://www.itu.int/md/S22-CL-C-0065/en", false},
		{"https://www.itu.int/en/council/Pages/default.htm", false},
		{"", false},
		{"%zz", false},
	}
	for _, tt := range tests {
		if got := IsDocumentFile(tt.link); got != tt.want {
			t.Errorf("IsDocumentFile(%q) = %v, want %v", tt.link, got, tt.want)
		}
	}
}
