package store

import "testing"

func TestPostgresPlaceholders(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", `SELECT 1`, `SELECT 1`},
		{"bare", `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`},
		{"numbered", `UPDATE t SET a = ?1 WHERE id = ?2 AND b <> ?1`, `UPDATE t SET a = $1 WHERE id = $2 AND b <> $1`},
		{"bare after numbered counts on from the largest", `SELECT ?2, ?, ?1, ?`, `SELECT $2, $3, $1, $4`},
		{"many digits", `SELECT ?12`, `SELECT $12`},
		{"string", `SELECT 'what?' , ?`, `SELECT 'what?' , $1`},
		{"doubled quote in string", `SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{"escape string", `SELECT E'a\'?', ?`, `SELECT E'a\'?', $1`},
		{"identifier", `SELECT "odd?name" FROM t WHERE x = ?`, `SELECT "odd?name" FROM t WHERE x = $1`},
		{"line comment", "SELECT ? -- really?\n, ?", "SELECT $1 -- really?\n, $2"},
		{"line comment at end", "SELECT ? -- really?", "SELECT $1 -- really?"},
		{"block comment", `SELECT /* a ? /* nested ? */ b ? */ ?`, `SELECT /* a ? /* nested ? */ b ? */ $1`},
		{"dollar quoted", `DO $$ BEGIN PERFORM '?'; END $$; SELECT ?`, `DO $$ BEGIN PERFORM '?'; END $$; SELECT $1`},
		{"tagged dollar quote", `SELECT $x$ ? $$ ? $x$, ?`, `SELECT $x$ ? $$ ? $x$, $1`},
		{"existing parameters untouched", `SELECT $1, $2`, `SELECT $1, $2`},
		{"unterminated string", `SELECT 'a ?`, `SELECT 'a ?`},
		{"minus is not a comment", `SELECT ? - 1, ?`, `SELECT $1 - 1, $2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := postgresPlaceholders(tt.in); got != tt.want {
				t.Errorf("postgresPlaceholders(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}
