package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/pipeline"
	"github.com/ituwatch/ituwatch/rules"
	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/watchers"
)

// packList is a repeatable --pack flag.
type packList []string

func (p *packList) String() string     { return strings.Join(*p, ",") }
func (p *packList) Set(v string) error { *p = append(*p, v); return nil }

func cmdRules(ctx context.Context, env *cliEnv, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "check":
		return cmdRulesCheck(ctx, env, args[1:])
	case "test":
		return cmdRulesTest(ctx, env, args[1:])
	case "eval":
		return cmdRulesEval(ctx, env, args[1:])
	case "replay":
		return cmdRulesReplay(ctx, env, args[1:])
	case "-h", "--help", "help":
		rulesUsage(env.stderr)
		return flag.ErrHelp
	}
	if sub != "" {
		fmt.Fprintf(env.stderr, "unknown rules command %q\n\n", sub)
	}
	rulesUsage(env.stderr)
	return errUsage
}

func rulesUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  ituwatch rules check  [--pack REF]... FILE...
                        check rule pack files: every mistake, with its line
  ituwatch rules test   [--pack REF]... (--text "..." | --feed FILE) [--json]
                        what matches and why
  ituwatch rules eval   [--pack REF]... --corpus FILE.jsonl [--json] [--mistakes]
                        [--compare OLD_REF]...
                        precision, recall and F1 per topic against labelled items;
                        --mistakes groups them by cause, --compare lists the items
                        a change of pack fixed and broke
  ituwatch rules replay -c FILE --since YYYY-MM-DD [--topic T]
                        run the current rules over stored items; sends nothing
REF is builtin:itu (the default) or the path of a pack file.
`)
}

func cmdRulesCheck(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "rules check", "rules check [--pack REF]... FILE...")
	var before packList
	fs.Var(&before, "pack", "pack loaded before each FILE, as in the config's rules.packs (repeatable; default builtin:itu)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(env.stderr, "name the rule pack file to check")
		fs.Usage()
		return errUsage
	}
	if len(before) == 0 {
		before = packList{config.DefaultRulePack}
	}
	var base []*rules.Pack
	for _, ref := range before {
		p, err := rules.LoadPack(ref)
		if err != nil {
			return fmt.Errorf("load rule pack %s: %w", ref, err)
		}
		base = append(base, p)
	}
	bad := 0
	for _, file := range fs.Args() {
		ids, err := checkPackFile(file, base)
		if err != nil {
			// Pack errors are one "FILE:LINE: where: what to fix" per line.
			fmt.Fprintln(env.stderr, err)
			bad++
			continue
		}
		noun := "topics"
		if len(ids) == 1 {
			noun = "topic"
		}
		fmt.Fprintf(env.stdout, "%s: OK — %d %s: %s\n", file, len(ids), noun, strings.Join(ids, ", "))
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d rule pack files have mistakes to fix (listed above)", bad, fs.NArg())
	}
	return nil
}

// checkPackFile parses a pack and compiles it after base, the way the
// config would load it, and returns the ids of the topics it defines.
func checkPackFile(file string, base []*rules.Pack) ([]string, error) {
	p, err := rules.LoadPack(file)
	if err != nil {
		return nil, err
	}
	if _, err := rules.Compile(append(slices.Clip(base), p)...); err != nil {
		return nil, err
	}
	// The pack is valid, so its topics are a list of mappings with an id.
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Topics []struct {
			ID string `yaml:"id"`
		} `yaml:"topics"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	ids := make([]string, len(doc.Topics))
	for i, t := range doc.Topics {
		ids[i] = t.ID
	}
	return ids, nil
}

func cmdRulesTest(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "rules test", `rules test [--pack REF]... (--text "..." | --feed FILE) [--json]`)
	var packs packList
	fs.Var(&packs, "pack", "rule pack: builtin:itu or a file (repeatable; default builtin:itu)")
	text := fs.String("text", "", "text to test (as an item's content)")
	title := fs.String("title", "", "optional title for --text")
	feed := fs.String("feed", "", "RSS, Atom or JSON Feed file whose items to test")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*text == "") == (*feed == "") {
		fmt.Fprintln(env.stderr, "give exactly one of --text or --feed")
		fs.Usage()
		return errUsage
	}
	eng, err := loadEngine(packs)
	if err != nil {
		return err
	}
	var items []model.Item
	if *text != "" {
		// No source id: topics restricted to some sources still apply to typed text.
		items = []model.Item{{ID: "1", Title: *title, Content: *text}}
	} else {
		body, err := os.ReadFile(*feed)
		if err != nil {
			return fmt.Errorf("read feed: %w", err)
		}
		items, err = watchers.ParseFeed("", body)
		if err != nil {
			return fmt.Errorf("parse %s: %w", *feed, err)
		}
	}
	for i := range items {
		matches := eng.Match(&items[i])
		if *jsonOut {
			b, _ := json.Marshal(struct {
				Title   string        `json:"title"`
				Matches []model.Match `json:"matches"`
			}{items[i].Title, matches})
			fmt.Fprintf(env.stdout, "%s\n", b)
			continue
		}
		printMatches(env.stdout, &items[i], matches)
	}
	return nil
}

func printMatches(w io.Writer, it *model.Item, matches []model.Match) {
	label := it.Title
	if label == "" {
		label = "(text)"
	}
	if len(matches) == 0 {
		fmt.Fprintf(w, "· %s\n    no topic matched\n", label)
		return
	}
	fmt.Fprintf(w, "● %s\n", label)
	bold := render.TerminalBold(w, os.LookupEnv) // "**" is nobody's emphasis on a terminal
	for _, m := range matches {
		var terms []string
		for _, h := range m.Hits {
			if t := fmt.Sprintf("%q", h.Text); !slices.Contains(terms, t) {
				terms = append(terms, t)
			}
		}
		lang := ""
		if m.Language != "" {
			lang = ", matched in " + m.Language
		}
		if m.Salience != "" {
			lang += ", " + m.Salience
		}
		fmt.Fprintf(w, "    %s (%s, score %g%s): %s\n", m.Topic, m.Severity, m.Score, lang, strings.Join(terms, ", "))
		for _, s := range m.Snippets {
			fmt.Fprintf(w, "      %s: «%s»\n", s.Field, render.Highlight(s.Parts).Clean().ForTerminal(bold))
		}
	}
}

func cmdRulesEval(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "rules eval", "rules eval [--pack REF]... --corpus FILE.jsonl [--json] [--mistakes] [--compare OLD_REF]...")
	var packs, old packList
	fs.Var(&packs, "pack", "rule pack: builtin:itu or a file (repeatable; default builtin:itu)")
	fs.Var(&old, "compare", "the rule packs before a change (a saved copy of a pack file, or builtin:itu; repeatable): list the items fixed and broken")
	corpusPath := fs.String("corpus", "", "labelled items, one JSON object a line: id, title, text, labels (other fields are ignored)")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	mistakes := fs.Bool("mistakes", false, "list the false positives and false negatives, grouped by cause")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *corpusPath == "" {
		fmt.Fprintln(env.stderr, "--corpus is required")
		fs.Usage()
		return errUsage
	}
	f, err := os.Open(*corpusPath)
	if err != nil {
		return fmt.Errorf("open corpus: %w", err)
	}
	defer f.Close()
	corpus, err := rules.ReadCorpus(f)
	if err != nil {
		return fmt.Errorf("read corpus %s: %w", *corpusPath, err)
	}
	rep, err := evaluateRefs(packs, corpus)
	if err != nil {
		return err
	}
	if len(old) > 0 {
		before, err := evaluateRefs(old, corpus)
		if err != nil {
			return err
		}
		cmp := rules.Compare(before, rep)
		if *jsonOut {
			b, err := json.Marshal(cmp)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "%s\n", b)
			return nil
		}
		printComparison(env.stdout, len(corpus), old.String(), cmp)
		if *mistakes {
			printMistakeGroups(env.stdout, rep.Mistakes)
		}
		return nil
	}
	if *jsonOut {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s\n", b)
		return nil
	}
	ids := make([]string, 0, len(rep.Topics))
	for id := range rep.Topics {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintf(env.stdout, "%d labelled items\n\n%-18s %9s %7s %6s %4s %4s %4s\n", len(corpus), "topic", "precision", "recall", "F1", "TP", "FP", "FN")
	for _, id := range ids {
		s := rep.Topics[id]
		fmt.Fprintf(env.stdout, "%-18s %9.3f %7.3f %6.3f %4d %4d %4d\n", id, s.Precision, s.Recall, s.F1, s.TP, s.FP, s.FN)
	}
	fmt.Fprintf(env.stdout, "\nmacro F1 %.3f\n", rep.MacroF1)
	printLanguageScores(env.stdout, rep.Languages)
	if *mistakes {
		printMistakeGroups(env.stdout, rep.Mistakes)
	}
	return nil
}

// evaluateRefs loads and evaluates the packs refs name (builtin:itu when
// none), so that missed topics say whether they had any hit at all.
func evaluateRefs(refs []string, corpus []rules.LabelledItem) (rules.EvalReport, error) {
	if len(refs) == 0 {
		refs = []string{config.DefaultRulePack}
	}
	packs := make([]*rules.Pack, 0, len(refs))
	for _, ref := range refs {
		p, err := rules.LoadPack(ref)
		if err != nil {
			return rules.EvalReport{}, fmt.Errorf("load rule pack %s: %w", ref, err)
		}
		packs = append(packs, p)
	}
	rep, err := rules.EvaluatePacks(packs, corpus)
	if err != nil {
		return rules.EvalReport{}, fmt.Errorf("compile rules %s: %w", strings.Join(refs, ", "), err)
	}
	return rep, nil
}

// printMistakeGroups lists mistakes by topic and cause, largest group
// first: the causes worth a rule change come first.
func printMistakeGroups(w io.Writer, ms []rules.Mistake) {
	if len(ms) == 0 {
		fmt.Fprintln(w, "\nno mistakes")
		return
	}
	fmt.Fprintln(w, "\nmistakes by cause, largest group first:")
	for _, g := range rules.GroupMistakes(ms) {
		kind := g.Kind
		if len(g.Items) != 1 {
			kind += "s"
		}
		link := " "
		if g.Kind == "false negative" {
			link = ", "
		}
		fmt.Fprintf(w, "%s: %d %s%s%s\n    %s\n", g.Topic, len(g.Items), kind, link, g.Cause, strings.Join(g.Items, ", "))
	}
}

// printComparison shows what a rule change fixed and broke, item by item,
// and each topic's F1 before and after.
func printComparison(w io.Writer, items int, old string, c rules.Comparison) {
	fmt.Fprintf(w, "%d labelled items, compared with %s: %d fixed, %d broken\n", items, old, len(c.Fixed), len(c.Broken))
	list := func(head string, ms []rules.Mistake, verb string) {
		if len(ms) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", head)
		for _, m := range ms {
			fmt.Fprintf(w, "  %s %s: %s %s (%s) — %s\n", m.Topic, m.ItemID, verb, m.Kind, m.Cause, m.Title)
		}
	}
	list("fixed", c.Fixed, "was a")
	list("broken", c.Broken, "now a")
	fmt.Fprintf(w, "\n%-18s %6s   %6s %7s\n", "topic", "F1 was", "now", "change")
	f1 := func(v float64, ok bool) string {
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.3f", v)
	}
	for _, t := range c.Topics {
		change := ""
		if t.InBefore && t.InAfter {
			change = fmt.Sprintf("%+.3f", t.After-t.Before)
		}
		fmt.Fprintf(w, "%-18s %6s → %6s %7s\n", t.ID, f1(t.Before, t.InBefore), f1(t.After, t.InAfter), change)
	}
	fmt.Fprintf(w, "\nmacro F1 %.3f → %.3f (%+.3f)\n", c.MacroBefore, c.MacroAfter, c.MacroAfter-c.MacroBefore)
}

func cmdRulesReplay(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "rules replay", "rules replay -c FILE --since YYYY-MM-DD [--topic T] [--pack REF]...")
	cfgPath := fs.String("c", "ituwatch.yaml", "config file (for the store and the rule packs)")
	since := fs.String("since", "", "replay items first seen on or after this date (YYYY-MM-DD)")
	topic := fs.String("topic", "", "only this topic")
	var packs packList
	fs.Var(&packs, "pack", "rule pack to replay instead of the config's (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	from, err := time.Parse(time.DateOnly, *since)
	if err != nil {
		fmt.Fprintf(env.stderr, "--since must be a date like 2026-01-31, not %q\n", *since)
		return errUsage
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	refs := cfg.Rules.Packs
	if len(packs) > 0 {
		refs = packs
	}
	eng, err := loadEngine(refs)
	if err != nil {
		return err
	}
	if *topic != "" {
		if _, ok := eng.Topic(*topic); !ok {
			var ids []string
			for _, t := range eng.Topics() {
				ids = append(ids, t.ID)
			}
			return fmt.Errorf("unknown topic %q; the topics are: %s", *topic, strings.Join(ids, ", "))
		}
	}
	st, err := store.OpenDriver(ctx, cfg.Store.Driver, cfg.Store.Target()) // its errors name the store, never the DSN
	if err != nil {
		return err
	}
	defer st.Close()
	stats, err := pipeline.Replay(ctx, st, eng, from, *topic, func(it model.Item, ms []model.Match) error {
		printMatches(env.stdout, &it, ms)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "\nreplayed %d items since %s: %d would alert (nothing was sent)\n", stats.Scanned, *since, stats.Matched)
	return nil
}

// printLanguageScores shows precision and recall per language when the
// corpus has items in more than English: a pack can be strong in one
// language and blind in another.
func printLanguageScores(w io.Writer, langs map[string]rules.TopicScore) {
	if _, en := langs["en"]; len(langs) == 0 || len(langs) == 1 && en {
		return
	}
	codes := make([]string, 0, len(langs))
	for l := range langs {
		codes = append(codes, l)
	}
	sort.Strings(codes)
	fmt.Fprintf(w, "\n%-18s %9s %7s %6s %4s %4s %4s\n", "language", "precision", "recall", "F1", "TP", "FP", "FN")
	for _, l := range codes {
		s := langs[l]
		fmt.Fprintf(w, "%-18s %9.3f %7.3f %6.3f %4d %4d %4d\n", l, s.Precision, s.Recall, s.F1, s.TP, s.FP, s.FN)
	}
}
