package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// redacted is what every printed form of a set Secret shows.
const redacted = "[redacted]"

// Secret holds a token, password or DSN. Every way of printing it (fmt, JSON,
// YAML, text, slog) shows "[redacted]", so a config can be logged or dumped
// for support without leaking credentials; only Value gives the real string.
type Secret string

// Value returns the real secret, for handing to the client that needs it.
func (s Secret) Value() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return redacted
}

func (s Secret) String() string   { return s.shown() }
func (s Secret) GoString() string { return `"` + s.shown() + `"` }

func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.shown()) }

// MarshalYAML keeps yaml.v3 from falling back to the underlying string.
func (s Secret) MarshalYAML() (any, error) { return s.shown(), nil }

// LogValue makes slog print the redaction whatever the handler.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

// Format answers every fmt verb with the redaction. Stringer alone is not
// enough: fmt prints the raw string for verbs such as %d, and for structs
// holding a Secret behind a pointer printed with %s.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, s.GoString())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), s.shown())
}

// The types holding a Secret format themselves through method-less copies
// of their own shape, so that fmt reaches each Secret through its Format
// method whatever the verb, and never through the raw-dump path it uses for
// verbs a type does not support.
type (
	plainSlack            Slack
	plainMatrix           Matrix
	plainMatrixEncryption MatrixEncryption
	plainStore            Store
	plainConfig           Config
)

func formatPlain(f fmt.State, verb rune, plain any, name string) {
	out := fmt.Sprintf(fmt.FormatString(f, verb), plain)
	if verb == 'v' && f.Flag('#') {
		out = strings.Replace(out, "config.plain"+name, "config."+name, 1)
	}
	io.WriteString(f, out)
}

func (s Slack) Format(f fmt.State, verb rune)  { formatPlain(f, verb, plainSlack(s), "Slack") }
func (m Matrix) Format(f fmt.State, verb rune) { formatPlain(f, verb, plainMatrix(m), "Matrix") }

// Config holds Store, and with it the DSN, by value.
func (c Config) Format(f fmt.State, verb rune) { formatPlain(f, verb, plainConfig(c), "Config") }
func (s Store) Format(f fmt.State, verb rune)  { formatPlain(f, verb, plainStore(s), "Store") }
func (e MatrixEncryption) Format(f fmt.State, verb rune) {
	formatPlain(f, verb, plainMatrixEncryption(e), "MatrixEncryption")
}
