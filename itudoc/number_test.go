package itudoc

import (
	"reflect"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *model.DocumentRef // nil: must not match
	}{
		// Council, printed.
		{"C20/51-E", &model.DocumentRef{Number: "C20/51", Series: "C", Meeting: "20", Seq: "51", Languages: []string{"en"}}},
		{"C22/51(Rev.1)-F", &model.DocumentRef{Number: "C22/51", Series: "C", Meeting: "22", Seq: "51", Revision: "Rev.1", Languages: []string{"fr"}}},
		{"C22/51 (Rev.2) - S", &model.DocumentRef{Number: "C22/51", Series: "C", Meeting: "22", Seq: "51", Revision: "Rev.2", Languages: []string{"es"}}},
		{"C24/INF/3-E", &model.DocumentRef{Number: "C24/INF/3", Series: "C", Meeting: "24", Seq: "INF/3", Languages: []string{"en"}}},
		{"C23/51(Add.1)-E", &model.DocumentRef{Number: "C23/51(Add.1)", Series: "C", Meeting: "23", Seq: "51", Addendum: "Add.1", Languages: []string{"en"}}},
		{"C23/51(Add.1)(Rev.1)-R", &model.DocumentRef{Number: "C23/51(Add.1)", Series: "C", Meeting: "23", Seq: "51", Revision: "Rev.1", Addendum: "Add.1", Languages: []string{"ru"}}},
		{"C21/7", &model.DocumentRef{Number: "C21/7", Series: "C", Meeting: "21", Seq: "7"}},
		{"c22/51-a", &model.DocumentRef{Number: "C22/51", Series: "C", Meeting: "22", Seq: "51", Languages: []string{"ar"}}},
		// Document-management ids.
		{"S22-CL-C-0065!R1!MSW-E", &model.DocumentRef{Number: "C22/65", Series: "C", Meeting: "22", Seq: "65", Revision: "Rev.1", Languages: []string{"en"}}},
		{"S22-CL-C-0065", &model.DocumentRef{Number: "C22/65", Series: "C", Meeting: "22", Seq: "65"}},
		{"S22-CL-C-0065!A1!PDF-C", &model.DocumentRef{Number: "C22/65(Add.1)", Series: "C", Meeting: "22", Seq: "65", Addendum: "Add.1", Languages: []string{"zh"}}},
		{"S24-CL-INF-0003!!MSW-E", &model.DocumentRef{Number: "C24/INF/3", Series: "C", Meeting: "24", Seq: "INF/3", Languages: []string{"en"}}},
		{"S22-PP-C-0045!R1!MSW-S", &model.DocumentRef{Number: "PP22/45", Series: "PP", Meeting: "22", Seq: "45", Revision: "Rev.1", Languages: []string{"es"}}},
		{"S23-CWGINT18-C-0003!!MSW-E", &model.DocumentRef{Number: "CWG-Internet 18/3", Series: "CWG-Internet", Meeting: "18", Seq: "3", Languages: []string{"en"}}},
		{"T22-TSAG-C-0123", &model.DocumentRef{Number: "TSAG-C 123", Series: "TSAG-C", Meeting: "22", Seq: "123"}},
		{"T22-SG17-C-0456!!MSW-E", &model.DocumentRef{Number: "SG17-C 456", Series: "SG17-C", Meeting: "22", Seq: "456", Languages: []string{"en"}}},
		{"T22-SG17-230829-TD-GEN-1234!R2!MSW-E", &model.DocumentRef{Number: "SG17-TD 1234", Series: "SG17-TD", Meeting: "22", Seq: "1234", Revision: "Rev.2", Languages: []string{"en"}}},
		{"T24-WTSA-C-0045!!MSW-F", &model.DocumentRef{Number: "WTSA24/45", Series: "WTSA", Meeting: "24", Seq: "45", Languages: []string{"fr"}}},
		// URLs carrying a document id.
		{"https://www.itu.int/md/S22-CL-C-0065/en", &model.DocumentRef{Number: "C22/65", Series: "C", Meeting: "22", Seq: "65", Languages: []string{"en"}}},
		{"https://www.itu.int/dms_pub/itu-s/md/22/cl/c/S22-CL-C-0065!R1!MSW-F.docx", &model.DocumentRef{Number: "C22/65", Series: "C", Meeting: "22", Seq: "65", Revision: "Rev.1", Languages: []string{"fr"}}},
		{"https://www.itu.int/md/meetingdoc.asp?lang=en&parent=S22-CL-C-0065", &model.DocumentRef{Number: "C22/65", Series: "C", Meeting: "22", Seq: "65"}},
		// Conferences.
		{"PP-22 Doc 45", &model.DocumentRef{Number: "PP22/45", Series: "PP", Meeting: "22", Seq: "45"}},
		{"PP22/45(Rev.1)-S", &model.DocumentRef{Number: "PP22/45", Series: "PP", Meeting: "22", Seq: "45", Revision: "Rev.1", Languages: []string{"es"}}},
		{"PP-22 Document 045", &model.DocumentRef{Number: "PP22/45", Series: "PP", Meeting: "22", Seq: "45"}},
		{"WTSA-24 Doc 45", &model.DocumentRef{Number: "WTSA24/45", Series: "WTSA", Meeting: "24", Seq: "45"}},
		// CWG-Internet.
		{"CWG-Internet 18/3", &model.DocumentRef{Number: "CWG-Internet 18/3", Series: "CWG-Internet", Meeting: "18", Seq: "3"}},
		{"CWG-INTERNET-18/3-E", &model.DocumentRef{Number: "CWG-Internet 18/3", Series: "CWG-Internet", Meeting: "18", Seq: "3", Languages: []string{"en"}}},
		{"CWG-Internet 19/INF/2", &model.DocumentRef{Number: "CWG-Internet 19/INF/2", Series: "CWG-Internet", Meeting: "19", Seq: "INF/2"}},
		// ITU-T printed.
		{"TD 62", &model.DocumentRef{Number: "TD 62", Series: "TD", Seq: "62"}},
		{"TSAG-TD 62R1", &model.DocumentRef{Number: "TSAG-TD 62", Series: "TSAG-TD", Seq: "62", Revision: "Rev.1"}},
		{"TSAG-TD62", &model.DocumentRef{Number: "TSAG-TD 62", Series: "TSAG-TD", Seq: "62"}},
		{"SG13-C 1234", &model.DocumentRef{Number: "SG13-C 1234", Series: "SG13-C", Seq: "1234"}},
		{"SG17-TD 310/GEN", &model.DocumentRef{Number: "SG17-TD 310", Series: "SG17-TD", Seq: "310"}},
		// Not document numbers.
		{"Covid-19", nil},
		{"G20", nil},
		{"5G/6G", nil},
		{"C20", nil},
		{"C-band", nil},
		{"IPv6", nil},
		{"Res. 102", nil},
		{"PP-22", nil},
		{"TD", nil},
		{"C 1234", nil},
		{"2022/23", nil},
		{"", nil},
		{"C20/51 and more", nil},
		{"https://www.itu.int/en/council/Pages/default.aspx", nil},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if tt.want == nil {
			if ok {
				t.Errorf("Parse(%q) = %+v, want no match", tt.in, got)
			}
			continue
		}
		if !ok {
			t.Errorf("Parse(%q): no match, want %+v", tt.in, tt.want)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		in   string
		want string // Number; "" for no match
		rev  string
	}{
		{"Contribution from Brazil: C22/51(Rev.1)-E on Resolution 102", "C22/51", "Rev.1"},
		{"Report on CWG-Internet 18/3 consultation", "CWG-Internet 18/3", ""},
		{"See TSAG-TD 62R1 and TD 70", "TSAG-TD 62", "Rev.1"},
		{"Proposals in PP-22 Doc 45 on OTT", "PP22/45", ""},
		{"(SG13-C 1234) deep packet inspection", "SG13-C 1234", ""},
		{"Draft in S22-CL-C-0065!R1!MSW-E.docx", "C22/65", "Rev.1"},
		{"Covid-19 and the G20 on 5G/6G", "", ""},
		{"Results of WTSA-24 in New Delhi", "", ""},
		{"STD 62 is a protocol standard", "", ""},
		{"IC22/51 is not a document", "", ""},
	}
	for _, tt := range tests {
		got, ok := Find(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("Find(%q) = %+v, want no match", tt.in, got)
			}
			continue
		}
		if !ok || got.Number != tt.want || got.Revision != tt.rev {
			t.Errorf("Find(%q) = %+v, %v; want %s %s", tt.in, got, ok, tt.want, tt.rev)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"C22/51(Rev.1)-F", "S22-CL-C-0065!R1!MSW-E", "https://www.itu.int/md/S22-CL-C-0065/en", "CWG-Internet 18/3", "TSAG-TD 62R1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, ok := Parse(s)
		if ok && ref.Number == "" {
			t.Errorf("Parse(%q) matched with an empty Number", s)
		}
		if ref, ok := Find(s); ok && ref.Number == "" {
			t.Errorf("Find(%q) matched with an empty Number", s)
		}
	})
}
