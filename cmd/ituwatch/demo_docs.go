package main

import (
	"fmt"
	"html"
	"strings"

	"github.com/ituwatch/ituwatch/itudoc/doctext/doctexttest"
)

// The documents of the demo's listings: each one's page and its files,
// built at start-up from the text below so that the demo reads real Word
// and PDF files the way it reads ITU's, with nothing binary in the repo.

// demoRev1Sentence is what Rev.1 of the RCC addendum inserts as a tracked
// change; the demo's third poll shows it as what the revision adds.
const demoRev1Sentence = "ITU shall assign blocks of IPv6 addresses directly to Member States, which may then allocate them to operators in their territory."

// demoDoc is a document's page (URL path /md/<id>/en) and its files.
type demoDoc struct {
	id, number, title, source string
	files                     []demoFile
}

// demoFile is one language version of a document. A paragraph starting
// with "+" is a tracked insertion, as Word writes a revision's changes.
type demoFile struct {
	name  string // as on ITU's server: S26-PP-C-0001!A14!MSW-E.docx
	paras []string
}

var rccAddendum = []string{
	"Addendum 14 to Document 1-E",
	"Member States of the Regional Commonwealth in the field of Communications",
	"Proposals for the work of the Conference",
	"Part 14.",
	"The Administrations of the RCC propose to revise Resolution 102 so that ITU takes the lead on Internet-related public policy issues and on the management of Internet resources.",
	"Reasons: the Union is the one intergovernmental body in which every Member State has an equal voice on these questions.",
	"MOD RESOLUTION 102 (Rev. Bucharest, 2022): the role of the Union with regard to international public policy issues pertaining to the Internet.",
}

var rccAddendumFR = []string{
	"Addendum 14 au Document 1-F",
	"Propositions pour les travaux de la Conférence",
	"Les Administrations de la RCC proposent de réviser la Résolution 102.",
}

var chairReport = []string{
	"Draft report of the Chair",
	"The Group held an open consultation under Resolution 102 and received twelve contributions from Member States and other stakeholders.",
	"The Chair will present a summary of the views expressed to the Council at its 2027 session.",
}

var chairReportFR = []string{
	"Projet de rapport du Président",
	"Le Groupe a tenu une consultation ouverte au titre de la Résolution 102.",
}

// demoDocs are the documents of the first two polls.
var demoDocs = []demoDoc{
	{"S26-CWGINT24-C-0007", "CWG-INTERNET-24/7", "Proposal that ITU coordinate the allocation of IPv6 address blocks to Member States", "Several Member States", []demoFile{
		{"S26-CWGINT24-C-0007!!MSW-E.docx", []string{
			"Proposal that ITU coordinate the allocation of IPv6 address blocks to Member States",
			"Several Member States propose that the Council instruct the Secretary-General to study how ITU could coordinate the allocation of IPv6 address blocks to Member States.",
		}},
		{"S26-CWGINT24-C-0007!!MSW-R.docx", []string{"Предложение о распределении блоков адресов IPv6 Государствам-Членам"}},
	}},
	{"S26-CWGINT24-C-0006", "CWG-INTERNET-24/6", "Draft report of the Chair on Internet-related public policy issues under Resolution 102", "Chair of the Group", []demoFile{
		{"S26-CWGINT24-C-0006!!MSW-E.docx", chairReport},
	}},
	{"S26-CWGINT24-C-0005", "CWG-INTERNET-24/5", "Views of a sector member on keeping Internet governance multistakeholder", "Internet Society (sector member)", []demoFile{
		{"S26-CWGINT24-C-0005!!PDF-E.pdf", []string{
			"Views of a sector member on keeping Internet governance multistakeholder",
			"The open, bottom-up processes that coordinate the Internet today serve developing countries well and should be kept.",
		}},
	}},
	{"S26-PP-C-0001-A14", "PP26/1(Add.14)", "Addendum 14 to Document 1 — Proposals for the work of the Conference", "Member States of the Regional Commonwealth in the field of Communications (RCC)", []demoFile{
		{"S26-PP-C-0001!A14!MSW-E.docx", rccAddendum},
		{"S26-PP-C-0001!A14!MSW-F.docx", rccAddendumFR},
	}},
}

// demoDocsV2 replace their namesakes in the third poll: the Chair's report
// and the RCC addendum come out as Rev.1, their pages now linking Rev.1's
// files.
var demoDocsV2 = []demoDoc{
	{"S26-CWGINT24-C-0006", "CWG-INTERNET-24/6(Rev.1)", "Draft report of the Chair on Internet-related public policy issues under Resolution 102", "Chair of the Group", []demoFile{
		{"S26-CWGINT24-C-0006!R1!MSW-E.docx", chairReport},
		{"S26-CWGINT24-C-0006!R1!MSW-F.docx", chairReportFR},
	}},
	{"S26-PP-C-0001-A14", "PP26/1(Add.14)(Rev.1)", "Addendum 14 to Document 1 — Proposals for the work of the Conference", "Member States of the Regional Commonwealth in the field of Communications (RCC)", []demoFile{
		{"S26-PP-C-0001!A14-R1!MSW-E.docx", append(append([]string{}, rccAddendum...), "+"+demoRev1Sentence)},
		{"S26-PP-C-0001!A14-R1!MSW-F.docx", rccAddendumFR},
	}},
}

// serveDocs puts each document's page and files on the demo server.
func (d *demoServer) serveDocs(docs []demoDoc) {
	for _, doc := range docs {
		d.set("/md/"+doc.id+"/en", doc.page())
		for _, f := range doc.files {
			d.set("/dms/"+f.name, f.build())
		}
	}
}

// page is laid out like ITU's document pages: the metadata, then a table
// of the files, one row per language.
func (doc demoDoc) page() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%[1]s</title></head><body>
<a href="/help/downloads.htm">Help</a>
<h2>%[1]s: %[2]s</h2>
<table class="meta"><tr><td>Source :</td><td>%[3]s</td></tr></table>
<table class="files"><tr><th>Language</th><th>Download</th></tr>
`, html.EscapeString(doc.number), html.EscapeString(doc.title), html.EscapeString(doc.source))
	for _, f := range doc.files {
		lang := f.name[strings.LastIndex(f.name, "-")+1 : strings.LastIndex(f.name, ".")]
		fmt.Fprintf(&b, "<tr><td>%s</td><td><a href=\"/dms/%s\">%s</a></td></tr>\n", lang, strings.ReplaceAll(f.name, "!", "%21"), html.EscapeString(f.name))
	}
	b.WriteString("</table></body></html>\n")
	return []byte(b.String())
}

func (f demoFile) build() []byte {
	if strings.HasSuffix(f.name, ".pdf") {
		return doctexttest.PDF([][]string{f.paras})
	}
	var body strings.Builder
	for i, p := range f.paras {
		if text, ok := strings.CutPrefix(p, "+"); ok {
			fmt.Fprintf(&body, `<w:p><w:ins w:id="%d" w:author="RCC" w:date="2026-11-22T09:00:00Z"><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:ins></w:p>`, i+1, html.EscapeString(text))
			continue
		}
		body.WriteString(doctexttest.Para(p))
	}
	return doctexttest.DOCX(body.String())
}
