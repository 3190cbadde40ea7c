package pipeline

import (
	"slices"
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

var languageNames = map[string]string{
	"en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic", "zh": "Chinese", "ru": "Russian",
}

// DescribeChange says in a few words how an item differs from its prior
// version, for the "update of #N" line of an alert.
func DescribeChange(prev, cur *model.Item) string {
	var parts []string
	if prev.Document != nil && cur.Document != nil {
		if cur.Document.Revision != prev.Document.Revision && cur.Document.Revision != "" {
			parts = append(parts, "revised ("+cur.Document.Revision+")")
		}
		if cur.Document.Addendum != prev.Document.Addendum && cur.Document.Addendum != "" {
			parts = append(parts, "addendum ("+cur.Document.Addendum+")")
		}
		var added []string
		for _, l := range cur.Document.Languages {
			if !slices.Contains(prev.Document.Languages, l) {
				name := languageNames[l]
				if name == "" {
					name = l
				}
				added = append(added, name)
			}
		}
		if len(added) > 0 {
			parts = append(parts, "new language version: "+strings.Join(added, ", "))
		}
	}
	if cur.Title != prev.Title && len(parts) == 0 {
		parts = append(parts, "title changed")
	}
	if cur.Summary != prev.Summary || cur.Content != prev.Content {
		if len(parts) == 0 {
			parts = append(parts, "text changed")
		}
	}
	if len(parts) == 0 {
		return "updated"
	}
	return strings.Join(parts, "; ")
}
