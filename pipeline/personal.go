package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/rules"
)

// MuteStore lists the mutes still on; an ItemStore that has it gets its
// mutes applied. *store.Store satisfies it.
type MuteStore interface {
	Mutes(ctx context.Context, destination string, now time.Time) ([]model.Mute, error)
}

// FollowStore lists everyone's follows; an ItemStore that has it gets its
// follows delivered. *store.Store satisfies it.
type FollowStore interface {
	Follows(ctx context.Context, destination string) ([]model.Follow, error)
}

// personal is the mutes and follows one batch applies, read once per poll.
type personal struct {
	mutes   map[string][]model.Mute // by destination
	follows []model.Follow
	// phrases matches the phrase mutes and the words and proposer follows,
	// with the rules engine, as topics' phrases are matched: "new ip"
	// matches "New-IP" but not "renew iPhone". Topic ids are "m<id>" for
	// mutes, "w<id>" for words and "p<id>" for proposers.
	phrases *rules.Engine
	// proposers holds the proposer follows of names itudoc knows, by
	// follow id, as canonical names: "Russia" follows "Russian
	// Federation", and "China" does not follow "China Mobile".
	proposers map[int64]string
}

// phraseCache keeps the last compiled engine: mutes and follows change
// rarely, polls come every few minutes.
type phraseCache struct {
	mu     sync.Mutex
	key    string
	engine *rules.Engine
}

func (c *phraseCache) get(key string, build func() (*rules.Engine, error)) (*rules.Engine, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.engine != nil && c.key == key {
		return c.engine, nil
	}
	e, err := build()
	if err != nil {
		return nil, err
	}
	c.key, c.engine = key, e
	return e, nil
}

var compiled phraseCache

// loadPersonal reads the mutes and follows of the store, if it keeps any.
func (in *Ingester) loadPersonal(ctx context.Context) (*personal, error) {
	p := &personal{mutes: map[string][]model.Mute{}}
	var phrases []phraseTopic
	if ms, ok := in.opts.Store.(MuteStore); ok {
		mutes, err := ms.Mutes(ctx, "", in.opts.Now())
		if err != nil {
			return nil, fmt.Errorf("read mutes: %w", err)
		}
		for _, m := range mutes {
			p.mutes[m.Destination] = append(p.mutes[m.Destination], m)
			if m.Kind == model.MutePhrase {
				phrases = append(phrases, phraseTopic{id: "m" + strconv.FormatInt(m.ID, 10), phrase: m.Value})
			}
		}
	}
	if fs, ok := in.opts.Store.(FollowStore); ok {
		follows, err := fs.Follows(ctx, "")
		if err != nil {
			return nil, fmt.Errorf("read follows: %w", err)
		}
		p.follows = follows
		for _, f := range follows {
			switch f.Kind {
			case model.FollowWords:
				phrases = append(phrases, phraseTopic{id: "w" + strconv.FormatInt(f.ID, 10), phrase: f.Value})
			case model.FollowProposer:
				if name, _, known := itudoc.ProposerName(f.Value); known {
					if p.proposers == nil {
						p.proposers = map[int64]string{}
					}
					p.proposers[f.ID] = name
					continue
				}
				// A sector member is followed by its words: "Huawei"
				// catches "Huawei Technologies Co., Ltd. (China)".
				phrases = append(phrases, phraseTopic{id: "p" + strconv.FormatInt(f.ID, 10), phrase: f.Value})
			}
		}
	}
	if len(phrases) > 0 {
		var key strings.Builder
		for _, t := range phrases {
			key.WriteString(t.id + "\x00" + t.phrase + "\x00")
		}
		e, err := compiled.get(key.String(), func() (*rules.Engine, error) { return compilePhrases(phrases) })
		if err != nil {
			// Topics and document follows still work; polling must not
			// stop over a person's phrase.
			in.opts.Logger.Error("mutes and follows by words are off", "error", err)
		}
		p.phrases = e
	}
	return p, nil
}

type phraseTopic struct{ id, phrase string }

// compilePhrases turns phrases into a rule pack of one topic each and
// compiles it. A phrase the rules refuse is dropped with the others
// compiled, so one bad follow cannot silence everyone's (the chat
// command checks a phrase with rules.CheckPhrase before storing it).
func compilePhrases(list []phraseTopic) (*rules.Engine, error) {
	type node struct {
		Phrase string `yaml:"phrase"`
	}
	type topic struct {
		ID       string `yaml:"id"`
		Name     string `yaml:"name"`
		Severity string `yaml:"severity"`
		Match    node   `yaml:"match"`
	}
	type pack struct {
		Pack   string  `yaml:"pack"`
		Topics []topic `yaml:"topics"`
	}
	pk := pack{Pack: "personal"}
	for _, t := range list {
		if rules.CheckPhrase(t.phrase) != nil {
			continue
		}
		pk.Topics = append(pk.Topics, topic{ID: t.id, Name: t.id, Severity: "low", Match: node{Phrase: t.phrase}})
	}
	if len(pk.Topics) == 0 {
		return nil, nil
	}
	data, err := yaml.Marshal(pk)
	if err != nil {
		return nil, fmt.Errorf("compile mutes and follows: %w", err)
	}
	p, err := rules.ParsePack("mutes and follows", data)
	if err != nil {
		return nil, fmt.Errorf("compile mutes and follows: %w", err)
	}
	e, err := rules.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("compile mutes and follows: %w", err)
	}
	return e, nil
}

// phraseHits matches the item's text, and separately the proposer text
// (the document's proposers and the item's authors), against the compiled phrases. The
// maps are keyed by the topic ids of compilePhrases ("m12", "w3", "p4").
func (p *personal) phraseHits(it *model.Item) (text, proposer map[string]model.Match) {
	if p.phrases == nil {
		return nil, nil
	}
	text = map[string]model.Match{}
	for _, m := range p.phrases.Match(it) {
		if !strings.HasPrefix(m.Topic, "p") {
			text[m.Topic] = m
		}
	}
	who := itudoc.DocumentProposers(it.Document)
	who = append(who, it.Authors...)
	if len(who) > 0 {
		proposer = map[string]model.Match{}
		for _, m := range p.phrases.Match(&model.Item{SourceID: it.SourceID, ID: it.ID, Title: strings.Join(who, "; ")}) {
			if strings.HasPrefix(m.Topic, "p") {
				proposer[m.Topic] = m
			}
		}
	}
	return text, proposer
}

// byFollow re-keys phrase hits by follow id, so that the follows are
// looked up without building a key for each.
func byFollow(hits map[string]model.Match, into map[int64]model.Match) {
	for topic, m := range hits {
		if id, err := strconv.ParseInt(topic[1:], 10, 64); err == nil && (topic[0] == 'w' || topic[0] == 'p') {
			into[id] = m
		}
	}
}

// followMatches returns, per person (destination), the matches of their
// follows on it, each a model.Match of topic model.FollowTopic.
func (p *personal) followMatches(it *model.Item) map[string][]model.Match {
	if len(p.follows) == 0 {
		return nil
	}
	text, proposer := p.phraseHits(it)
	hits := map[int64]model.Match{}
	byFollow(text, hits)
	byFollow(proposer, hits)
	if len(p.proposers) > 0 {
		who := itudoc.DocumentProposers(it.Document)
		for id, name := range p.proposers {
			if slices.Contains(who, name) {
				hits[id] = model.Match{}
			}
		}
	}
	numbers := documentNumbers(it)
	out := map[string][]model.Match{}
	for _, f := range p.follows {
		var (
			m  model.Match
			ok bool
		)
		switch f.Kind {
		case model.FollowWords, model.FollowProposer:
			m, ok = hits[f.ID]
		case model.FollowDocument:
			ok = slices.ContainsFunc(numbers, func(n string) bool { return strings.EqualFold(n, f.Value) })
		}
		if !ok {
			continue
		}
		m.Topic = model.FollowTopic
		m.TopicName = "you follow " + followLabel(f)
		m.Severity = model.SeverityLow
		m.Annotation = "You asked to follow " + followLabel(f) + "; unfollow stops it."
		out[f.Destination] = append(out[f.Destination], m)
	}
	return out
}

func followLabel(f model.Follow) string {
	switch f.Kind {
	case model.FollowDocument:
		return "document " + f.Value
	case model.FollowProposer:
		return "proposer " + strconv.Quote(f.Value)
	}
	return strconv.Quote(f.Value)
}

// documentNumbers lists the ITU document numbers an item is or names in
// its title, as itudoc gives them: without revision and language, so a
// follow of "C26/51" catches Rev.1 and the French version.
func documentNumbers(it *model.Item) []string {
	var out []string
	if it.Document != nil && it.Document.Number != "" {
		out = append(out, it.Document.Number)
	}
	if ref, ok := itudoc.Find(it.Title); ok && ref.Number != "" {
		out = append(out, ref.Number)
	}
	return out
}

// muted reports whether a mute of dest keeps alert from it.
func (p *personal) muted(dest string, alert *model.Alert, textHits map[string]model.Match) bool {
	for _, m := range p.mutes[dest] {
		switch m.Kind {
		case model.MuteSource:
			if ok, _ := path.Match(m.Value, alert.Item.SourceID); ok || m.Value == alert.Item.SourceID {
				return true
			}
		case model.MutePhrase:
			if _, ok := textHits["m"+strconv.FormatInt(m.ID, 10)]; ok {
				return true
			}
		case model.MuteTopic:
			// Muted only if every topic it matched is muted here: an
			// alert that also matched another topic still comes.
			topics := slices.DeleteFunc(alert.Topics(), func(t string) bool { return t == model.FollowTopic })
			if len(topics) > 0 && allMuted(p.mutes[dest], topics) {
				return true
			}
		}
	}
	return false
}

func allMuted(mutes []model.Mute, topics []string) bool {
	for _, t := range topics {
		if !slices.ContainsFunc(mutes, func(m model.Mute) bool { return m.Kind == model.MuteTopic && m.Value == t }) {
			return false
		}
	}
	return true
}

// applyPersonal adds the follows' direct messages to save (raising an
// alert for an item only follows matched) and moves the destinations a
// mute keeps the alert from to save.Muted.
func (in *Ingester) applyPersonal(p *personal, it *model.Item, prior *model.PriorItem, tooOld bool, save *model.ItemSave) {
	if p == nil || save.JoinAlertID != 0 || tooOld {
		return
	}
	follows := p.followMatches(it)
	if len(follows) > 0 {
		if save.Alert == nil {
			alert := &model.Alert{Kind: model.AlertNew, Item: *it}
			if prior != nil && prior.FirstAlertID != 0 {
				alert.Kind = model.AlertUpdate
				alert.ParentID = prior.FirstAlertID
				alert.Change = DescribeChange(&prior.Item, it)
			}
			save.Alert = alert
		}
		// Only an alert raised for follows alone shows them as its
		// matches: a topic's alert goes to the person as the channel sees it.
		forFollows := len(save.Alert.Matches) == 0
		for _, dest := range slices.Sorted(maps.Keys(follows)) {
			if !slices.Contains(save.Destinations, dest) {
				save.Destinations = append(save.Destinations, dest)
			}
			for _, m := range follows[dest] {
				if forFollows && !slices.ContainsFunc(save.Alert.Matches, func(x model.Match) bool { return x.TopicName == m.TopicName }) {
					save.Alert.Matches = append(save.Alert.Matches, m)
				}
			}
		}
	}
	if save.Alert == nil || len(p.mutes) == 0 {
		return
	}
	var textHits map[string]model.Match
	if p.phrases != nil {
		textHits, _ = p.phraseHits(it)
	}
	// A mute holds an alert back from a channel's digest as well as from
	// its immediate posts: the digest only counts it among the muted.
	unmuted := func(dests []string) []string {
		kept := dests[:0:0]
		for _, d := range dests {
			if p.muted(d, save.Alert, textHits) {
				save.Muted = append(save.Muted, d)
			} else {
				kept = append(kept, d)
			}
		}
		return kept
	}
	save.Destinations = unmuted(save.Destinations)
	save.DigestDestinations = unmuted(save.DigestDestinations)
}

// Expirer ends mutes and snoozes whose time ran out, queuing their
// messages; *store.Store satisfies it.
type Expirer interface {
	EndMutes(ctx context.Context, now time.Time, notice func(model.Mute) string) (int, error)
	EndSnoozes(ctx context.Context, now time.Time) (int, error)
}

// EndExpired ends the mutes and snoozes due at now and wakes the
// dispatcher when it queued a message. The store queues each message in
// the transaction that ends its mute or snooze, so running this often,
// from several processes or across a crash, still sends each one once.
func EndExpired(ctx context.Context, st Expirer, now time.Time, wake func()) error {
	mutes, err := st.EndMutes(ctx, now, MuteEndedNotice)
	if err != nil {
		return err
	}
	snoozes, err := st.EndSnoozes(ctx, now)
	if err != nil {
		return err
	}
	if mutes+snoozes > 0 && wake != nil {
		wake()
	}
	return nil
}

// RunExpiry calls EndExpired now and every interval until ctx is done.
func RunExpiry(ctx context.Context, st Expirer, every time.Duration, now func() time.Time, wake func(), log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := EndExpired(ctx, st, now(), wake); err != nil && ctx.Err() == nil {
			log.Error("end mutes and snoozes", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// MuteEndedNotice is what a channel is told when one of its mutes ends.
func MuteEndedNotice(m model.Mute) string {
	what := MuteLabel(m.Kind, m.Value)
	s := "The mute of " + what + " has ended: its alerts come here again."
	if m.Reason != "" {
		s += " (It was muted because: " + m.Reason + ")"
	}
	return s
}

// MuteLabel names what a mute matches, for people.
func MuteLabel(kind model.MuteKind, value string) string {
	switch kind {
	case model.MuteTopic:
		return "topic " + value
	case model.MuteSource:
		return "source " + value
	}
	return "the words " + strconv.Quote(value)
}
