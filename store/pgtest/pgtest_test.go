package pgtest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that notes how DSN ended the test instead of
// ending it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	panic(r)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}

func callDSN(t *testing.T) *recorder {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		DSN(r)
	}()
	return r
}

func TestDSNWithoutAServer(t *testing.T) {
	t.Setenv(EnvDSN, "")
	t.Setenv(EnvRequire, "")
	if r := callDSN(t); r.skipped != SkipMessage || r.failed != "" {
		t.Errorf("without a server: skipped %q, failed %q; want the skip message", r.skipped, r.failed)
	}
	t.Setenv(EnvRequire, "1")
	if r := callDSN(t); r.skipped != "" || !strings.Contains(r.failed, "ITUWATCH_TEST_PG_DSN is unset but ITUWATCH_TEST_REQUIRE_PG=1") {
		t.Errorf("required: skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}
}

func TestWithSearchPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u@127.0.0.1:5432/db?sslmode=disable", "postgres://u@127.0.0.1:5432/db?search_path=t_1&sslmode=disable"},
		{"host=127.0.0.1 dbname=db", "host=127.0.0.1 dbname=db search_path=t_1"},
	}
	for _, tt := range tests {
		if got, err := WithSearchPath(tt.in, "t_1"); err != nil || got != tt.want {
			t.Errorf("WithSearchPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
