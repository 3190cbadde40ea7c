package links

import "testing"

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.org/a", "https://example.org/a"},
		{"HTTPS://Example.ORG/Path/Case", "https://example.org/Path/Case"},
		{"https://example.org", "https://example.org/"},
		{"http://example.org:80/a", "http://example.org/a"},
		{"https://example.org:8443/a", "https://example.org:8443/a"},
		{"https://example.org/a#section-2", "https://example.org/a"},
		{"https://example.org/a?utm_source=x&utm_medium=y", "https://example.org/a"},
		{"https://example.org/a?id=7&UTM_Campaign=z&page=2", "https://example.org/a?id=7&page=2"},
		{"https://example.org/a?fbclid=abc&gclid=def&msclkid=g", "https://example.org/a"},
		{"https://example.org/a?b=2&a=1", "https://example.org/a?b=2&a=1"},
		{"https://example.org/a?q=%C3%A9t%C3%A9&utm_term=x", "https://example.org/a?q=%C3%A9t%C3%A9"},
		{"https://example.org/a?page=1&copy=2;mode=x", "https://example.org/a?page=1&copy=2;mode=x"},
		{"  https://example.org/a  ", "https://example.org/a"},
		{"/relative/path", "/relative/path"},
		{"mailto:someone@example.org", "mailto:someone@example.org"},
		{"https://user@Example.org:443?", "https://user@example.org/"},
	}
	for _, tt := range tests {
		if got := Canonical(tt.in); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDisplayKeepsTheFragment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://Example.org:443/a?utm_source=x#section-3", "https://example.org/a#section-3"},
		{"https://example.org/a?id=7&gclid=z", "https://example.org/a?id=7"},
		{"https://example.org", "https://example.org/"},
		{"/relative#frag", "/relative#frag"},
	}
	for _, tt := range tests {
		if got := Display(tt.in); got != tt.want {
			t.Errorf("Display(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
