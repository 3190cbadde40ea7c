// Package words holds the small pieces of English that every message of
// ituwatch writes the same way.
package words

import "strconv"

// Plural writes a count with its noun: "1 alert", "3 alerts".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
