package store

import (
	"strconv"
	"strings"
)

// postgresPlaceholders rewrites the store's SQLite-style parameters for
// Postgres: a bare ? becomes $n and a numbered ?N becomes $N, numbered as
// SQLite numbers them (a bare ? is one more than the largest number before
// it), so that one statement text serves both drivers. A ? inside a quoted
// string ('…', E'…'), a quoted identifier ("…"), a dollar-quoted string
// ($tag$…$tag$) or a comment is left alone. Statements without a ? (most
// migrations, and everything mautrix sends) come back unchanged.
func postgresPlaceholders(query string) string {
	if !strings.ContainsRune(query, '?') {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	largest := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := endQuoted(query, i, c)
			b.WriteString(query[i:j])
			i = j
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := endBlockComment(query, i)
			b.WriteString(query[i:j])
			i = j
		case c == '$':
			if tag, ok := dollarTag(query[i:]); ok {
				end := strings.Index(query[i+len(tag):], tag)
				j := len(query)
				if end >= 0 {
					j = i + len(tag) + end + len(tag)
				}
				b.WriteString(query[i:j])
				i = j
				continue
			}
			b.WriteByte(c)
			i++
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := largest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(query[i+1 : j])
			}
			largest = max(largest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// endQuoted returns the index just past the quoted text starting at i; a
// doubled quote is part of the text. An unterminated one runs to the end.
func endQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
		// E'…' strings may escape a quote with a backslash; in standard
		// strings a backslash is an ordinary character, and the store's
		// SQL never ends one with it.
		if s[j] == '\\' && q == '\'' && i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') {
			j++
		}
	}
	return len(s)
}

// endBlockComment returns the index just past the /* … */ comment at i;
// Postgres nests them.
func endBlockComment(s string, i int) int {
	depth := 0
	for j := i; j < len(s)-1; j++ {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			depth++
			j++
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// dollarTag reports the $tag$ that opens a dollar-quoted string at the
// start of s. $1 is a parameter, not a tag: tags do not start with a digit.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
		case c >= '0' && c <= '9' && j > 1:
		default:
			return "", false
		}
	}
	return "", false
}
