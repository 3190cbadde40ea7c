package render

import (
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

func TestDocLabelRestricted(t *testing.T) {
	for _, tc := range []struct {
		doc  *model.DocumentRef
		want string
	}{
		{&model.DocumentRef{Number: "C26/104", Languages: []string{"en", "fr"}}, "C26/104 [en, fr]"},
		{&model.DocumentRef{Number: "C26/104", Languages: []string{"en"}, Restricted: "TIES login"}, "C26/104 [en], restricted (TIES login): text not read"},
	} {
		if got := DocLabel(tc.doc); got != tc.want {
			t.Errorf("DocLabel(%+v) = %q, want %q", tc.doc, got, tc.want)
		}
	}
}
