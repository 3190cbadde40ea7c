package itudoc

import (
	"slices"
	"strings"

	"github.com/ituwatch/ituwatch/model"
)

// ITU publishes in six languages. The program speaks ISO 639-1 codes
// everywhere (a DocumentRef's Languages, the JSON output); ITU's own
// one-letter suffixes ("-F") and the words listings label versions with are
// read here.

// letterLanguages maps ITU's one-letter language suffixes to the ISO 639-1 codes the
// rest of the program speaks.
var letterLanguages = map[byte]string{'E': "en", 'F': "fr", 'S': "es", 'A': "ar", 'C': "zh", 'R': "ru"}

// languageOrder is the order languages are listed in a DocumentRef, so that the
// same set always prints (and fingerprints) the same way.
var languageOrder = []string{"en", "fr", "es", "ar", "zh", "ru"}

var languageNames = map[string]string{
	"en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic", "zh": "Chinese", "ru": "Russian",
}

// languageLabels are the ways a listing labels a language version: ITU's
// one-letter codes, ISO codes, and language names in English and in the
// language itself (as icons' alt text often has them).
var languageLabels = map[string]string{
	"e": "en", "en": "en", "eng": "en", "english": "en", "anglais": "en", "inglés": "en",
	"f": "fr", "fr": "fr", "fre": "fr", "french": "fr", "français": "fr", "francais": "fr", "francés": "fr",
	"s": "es", "es": "es", "spa": "es", "spanish": "es", "español": "es", "espagnol": "es",
	"a": "ar", "ar": "ar", "ara": "ar", "arabic": "ar", "arabe": "ar", "العربية": "ar", "عربي": "ar",
	"c": "zh", "zh": "zh", "chi": "zh", "chinese": "zh", "chinois": "zh", "中文": "zh",
	"r": "ru", "ru": "ru", "rus": "ru", "russian": "ru", "russe": "ru", "русский": "ru",
}

// LanguageName is the English name of a language code ("fr": "French"), or
// the code itself when it is not one of ITU's six.
func LanguageName(code string) string {
	if name := languageNames[code]; name != "" {
		return name
	}
	return code
}

// LanguageOfLabel reads the label of a language version ("F", "fr",
// "Français", "中文"; any case, spaces around ignored) as a language code.
func LanguageOfLabel(label string) (string, bool) {
	code, ok := languageLabels[strings.ToLower(strings.TrimSpace(label))]
	return code, ok
}

// AddLanguage adds a language code to a document's languages, keeping them
// in ITU's order and each once.
func AddLanguage(ref *model.DocumentRef, lang string) {
	if lang == "" || slices.Contains(ref.Languages, lang) {
		return
	}
	ref.Languages = append(ref.Languages, lang)
	slices.SortFunc(ref.Languages, func(a, b string) int {
		return languageRank(a) - languageRank(b)
	})
}

func languageRank(l string) int {
	if i := slices.Index(languageOrder, l); i >= 0 {
		return i
	}
	return len(languageOrder)
}
