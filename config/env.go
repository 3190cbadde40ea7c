package config

import (
	"fmt"
	"slices"
	"strings"
)

// envRef is one ${NAME} or ${NAME:-default} found in a value.
type envRef struct {
	Name       string
	HasDefault bool
}

// expandEnv replaces ${NAME} and ${NAME:-default} in s. The default applies
// when the variable is unset or empty, as in a POSIX shell. "$${" stands for a
// literal "${"; any other "$" is kept, so regular expressions and passwords
// pass through. It returns the variables that are unset with no default, and
// an error for a malformed reference. Errors never quote s: it may be a secret.
func expandEnv(s string, lookup func(string) (string, bool)) (out string, unset []string, err error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", nil, fmt.Errorf("has a \"${\" with no closing \"}\"; write ${NAME} or ${NAME:-default}")
		}
		body := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(body, ":-")
		if !validEnvName(name) {
			return "", nil, fmt.Errorf("has a malformed variable reference; write ${NAME} or ${NAME:-default}, where NAME is letters, digits and underscores")
		}
		v, ok := lookup(name)
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		case ok: // set but empty: an explicit empty value
		default:
			unset = append(unset, name)
		}
		i += end + 1
	}
	return b.String(), unset, nil
}

// hasEnvRef reports whether s takes any part of its value from the environment.
func hasEnvRef(s string) bool {
	return strings.Contains(strings.ReplaceAll(s, "$${", ""), "${")
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// envRefNames lists the variables s refers to, in order, each once; it
// ignores malformed references, which expandEnv reports.
func envRefNames(s string) []string {
	var out []string
	s = strings.ReplaceAll(s, "$${", "")
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return out
		}
		name, _, _ := strings.Cut(s[i+2:i+end], ":-")
		if validEnvName(name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
		s = s[i+end+1:]
	}
}
