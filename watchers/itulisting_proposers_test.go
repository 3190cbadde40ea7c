package watchers

import (
	"fmt"
	"slices"
	"testing"
)

// The source column becomes proposers: one link per submitter as ITU's
// meetingdoc.asp prints them, or a plain list.
func TestListingProposers(t *testing.T) {
	tests := []struct {
		name, cell string
		want       []string
	}{
		{"linked submitters", `<a href="/md/meetingdoc.asp?source=China+Mobile">China Mobile</a>, <a href="?source=China+Unicom">China Unicom</a>, <a href="?source=Huawei">Huawei Technologies Co., Ltd. (China)</a>`,
			[]string{"China Mobile", "China Unicom", "Huawei Technologies Co., Ltd. (China)"}},
		{"linked states", `<a href="?source=Russia">Russia</a><br><a href="?source=Armenia">Armenia</a>`,
			[]string{"Russian Federation", "Armenia"}},
		{"words outside links", `Common proposals of <a href="?source=CEPT">CEPT</a> and <a href="?source=RCC">RCC</a>`,
			[]string{"CEPT", "RCC"}},
		{"plain list", `Brazil, Mexico and Paraguay`, []string{"Brazil", "Mexico", "Paraguay"}},
		{"group label", `Member States of the Regional Commonwealth in the field of Communications (RCC)`, []string{"RCC"}},
		{"one link", `<a href="?source=ATU">African Common Proposals</a>`, []string{"ATU"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := fmt.Sprintf(`<html><body><table>
<tr><th>No.</th><th>Title</th><th>Source</th><th>Date</th></tr>
<tr><td><a href="/md/S26-PP-C-0051/en">51</a></td><td>Proposals for the work of the Conference</td><td>%s</td><td>2026-09-01</td></tr>
</table></body></html>`, tt.cell)
			items, _, err := ParseListing([]byte(page), mustURL(t, "https://www.itu.int/md/S26-PP-C/en"))
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Document == nil {
				t.Fatalf("items = %+v, want one document", items)
			}
			if got := items[0].Document.Proposers; !slices.Equal(got, tt.want) {
				t.Errorf("proposers = %q, want %q", got, tt.want)
			}
		})
	}
}
