package bottest

import (
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/textdiff"
)

// DiffUpdate is an update of alert 50 whose text changed: a deadline
// moved, a sentence on IPv6 added, one removed, and more changes than an
// alert shows.
func DiffUpdate() model.Alert {
	old := "The Council Working Group on the Internet met in Geneva. Contributions are due by 1 March 2027. " +
		"The chair thanked the secretariat. Interpretation will be provided in six languages."
	cur := "The Council Working Group on the Internet met in Geneva. Contributions are due by 15 March 2027. " +
		"A second session on IPv6 deployment will follow in May. Interpretation will be provided in six languages. " +
		"Documents are on the members' site. Registration opens in January. A webinar will introduce the consultation."
	return diffAlert(51, "itu-news", "https://www.itu.int/en/council/cwg-internet", old, cur, "IPv6", "ipv6", "IPv6 and addressing")
}

// HostileDiff is an update whose added sentence tries every chat trick:
// mentions, markup, a link, formatting characters.
func HostileDiff() model.Alert {
	old := "The consultation is open."
	cur := "The consultation is open.\n<!channel> @room read <b>this</b>\x1b[2J <https://evil.example|IPv6 now> *urgent* ~gone~ `code` & IPv6 <script>x</script>."
	return diffAlert(67, "evil-feed", "https://evil.example/a", old, cur, "IPv6", "ipv6", "IPv6 and addressing")
}

func diffAlert(id int64, source, link, old, cur, term, topic, name string) model.Alert {
	m := model.Match{
		Topic: topic, TopicName: name, Severity: model.SeverityHigh, Score: 3,
		Hits: []model.Hit{{Term: term, Text: term, Field: "content"}},
	}
	d := textdiff.Compare(old, cur)
	textdiff.MarkHits(d, []model.Match{m})
	return model.Alert{
		ID:       id,
		Kind:     model.AlertUpdate,
		ParentID: id - 1,
		Change:   "text changed",
		Item: model.Item{
			SourceID: source, ID: "item-" + topic, Title: "CWG-Internet open consultation", Link: link,
			Published: Day, Content: cur,
		},
		Matches:   []model.Match{m},
		Diff:      d,
		CreatedAt: Day.Add(3 * time.Hour),
	}
}

// RevisionDiff is the update of alert 70 that Rev.1 of C26/51 raised: one
// sentence on IPv6 address blocks added, the one it replaces removed.
func RevisionDiff() model.Alert {
	old := "The Council is invited to consider this contribution. Regional Internet Registries allocate IPv6 addresses today."
	cur := "The Council is invited to consider this contribution. ITU shall coordinate the allocation of IPv6 address blocks to Member States."
	a := diffAlert(71, "council-docs", "https://www.itu.int/md/S26-CL-C-0051/en", old, cur, "IPv6", "ipv6", "IPv6 and addressing")
	a.Change = "revised (Rev.1)"
	a.Item.ID = "C26/51"
	a.Item.Title = "C26/51 — Contribution on Internet resources"
	a.Item.Document = &model.DocumentRef{Number: "C26/51", Series: "C", Meeting: "26", Seq: "51", Revision: "Rev.1", Languages: []string{"en"}}
	a.Diff.Version = "Rev.1"
	return a
}
