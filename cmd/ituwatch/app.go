package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/digest"
	"github.com/ituwatch/ituwatch/bot/matrix"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/slack"
	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/pipeline"
	"github.com/ituwatch/ituwatch/rules"
	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/watchers"
)

// defaultMaxAge keeps a newly added source from alerting its back catalogue.
const defaultMaxAge = 30 * 24 * time.Hour

// app is the wired pipeline: every long-lived part, built once from config.
type app struct {
	cfg        *config.Config
	log        *slog.Logger
	store      *store.Store
	engine     *rules.Engine
	scheduler  *watchers.Scheduler
	ingester   *pipeline.Ingester
	dispatcher *notify.Dispatcher
	editor     *notify.EditWorker // shows claims on posted alerts
	digests    *digest.Closer
	router     *chat.Router
	commands   countingHandler // the router, counted for /metrics
	notifiers  map[string]notify.Notifier
	slack      *slack.Client
	matrix     *lazyMatrix
	closers    []func() error

	// instance is this process among those sharing the store, election
	// whether it leads (leader.go); `run` starts both.
	instance model.Instance
	election *election

	// chatListeners are the supervised command listeners `run` starts.
	chatListeners listenerSet
}

type appOptions struct {
	stdout    io.Writer // console notifier output
	jsonLines bool
	maxAge    time.Duration
	onAlert   func(model.Alert, []string)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}

// loadConfig reads and validates a config file, printing warnings, and
// checks it against its rule packs and this binary (see checkedConfig).
func loadConfig(env *cliEnv, path string) (*config.Config, error) {
	cfg, _, err := checkedConfig(env, path)
	return cfg, err
}

// checkedConfig reads and validates a config file, printing warnings, then
// compiles its rule packs and checks what only they and the build know
// (route topics, encryption support, the store's folder), so that
// check-config, once and run refuse the same mistakes.
func checkedConfig(env *cliEnv, path string) (*config.Config, *rules.Engine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("config file %s not found; run 'ituwatch init -c %s' to write a starter, copy ituwatch.example.yaml, or run 'ituwatch demo' to try it without one", path, path)
		}
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := config.Parse(path, data, env.lookupEnv)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(env.stderr, "warning: %s\n", w.String())
	}
	eng, err := loadEngine(cfg.Rules.Packs)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, t := range eng.Topics() {
		ids = append(ids, t.ID)
	}
	if err := cfg.Check(config.Capabilities{Topics: ids, MatrixEncryption: matrix.EncryptionCompiled()}); err != nil {
		return nil, nil, err
	}
	return cfg, eng, nil
}

// loadEngine compiles the rule packs a config names.
func loadEngine(refs []string) (*rules.Engine, error) {
	if len(refs) == 0 {
		refs = []string{"builtin:itu"}
	}
	packs := make([]*rules.Pack, 0, len(refs))
	for _, ref := range refs {
		p, err := rules.LoadPack(ref)
		if err != nil {
			return nil, fmt.Errorf("load rule pack %s: %w", ref, err)
		}
		packs = append(packs, p)
	}
	eng, err := rules.Compile(packs...)
	if err != nil {
		return nil, fmt.Errorf("compile rules: %w", err)
	}
	return eng, nil
}

func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, opts appOptions) (*app, error) {
	a := &app{cfg: cfg, log: log, notifiers: map[string]notify.Notifier{}}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	eng, err := loadEngine(cfg.Rules.Packs)
	if err != nil {
		return nil, err
	}
	a.engine = eng

	st, err := store.OpenDriver(ctx, cfg.Store.Driver, cfg.Store.Target()) // its errors name the store, never the DSN
	if err != nil {
		return nil, err
	}
	a.store = st
	a.closers = append(a.closers, st.Close)

	out := opts.stdout
	if out == nil {
		out = os.Stdout
	}
	a.notifiers["console"] = notify.NewConsoleNotifier(out, opts.jsonLines).WithPermalinks(cfg.Web.BaseURL)
	if err := a.addChatNotifiers(ctx); err != nil {
		return nil, err
	}
	for platform, n := range a.notifiers {
		a.notifiers[platform] = countingNotifier{platform: platform, next: n}
	}

	a.instance = newInstance(time.Now())
	a.election = newElection(st, st.Driver(), log)
	a.dispatcher = notify.NewDispatcher(notify.DispatcherOptions{
		Outbox:    st,
		Notifiers: a.notifiers,
		Logger:    log,
		HoldFor:   cfg.Delivery.HoldFor,
		// Even two instances that both think they lead (a network split)
		// never send one delivery at once.
		Leaser: storeLeaser{st: st, instance: a.instance.ID, live: st.InstanceLiveFor()},
	})
	a.editor = notify.NewEditWorker(notify.EditWorkerOptions{Outbox: st, Editors: a.editors(), Logger: log, GiveUpAfter: cfg.Delivery.HoldFor})
	a.digests = digest.NewCloser(digest.Options{
		Store:  st,
		Plans:  cfg.DigestPlans(),
		Wake:   a.dispatcher.Wake,
		Logger: log,
	})
	maxAge := opts.maxAge
	if maxAge == 0 {
		maxAge = defaultMaxAge
	}
	a.ingester = pipeline.NewIngester(pipeline.Options{
		Store:   st,
		Matcher: eng,
		Routes:  pipeline.NewRouteTable(cfg.Routes),
		Wake:    a.dispatcher.Wake,
		Logger:  log,
		MaxAge:  maxAge,
		OnAlert: opts.onAlert,
		// One poll of a source posts at most this many alerts to each
		// destination, and sums up the rest in one message.
		AlertLimit: cfg.AlertLimit,
	})

	fetcher := watchers.NewFetcher(watchers.FetcherOptions{
		UserAgent:            cmp.Or(cfg.HTTP.UserAgent, userAgent()),
		Timeout:              cfg.HTTP.Timeout,
		MaxBodyBytes:         cfg.HTTP.MaxBodyBytes,
		PerHostConcurrency:   cfg.HTTP.PerHostConcurrency,
		AllowPrivateNetworks: cfg.HTTP.AllowPrivateNetworks,
		BodyMemory:           cfg.HTTP.BodyMemory,
	})
	a.scheduler = watchers.NewScheduler(watchers.SchedulerOptions{
		States: st,
		Sink:   a.ingester.Ingest,
		Logger: log,
		OnPoll: observePoll,
		// Start-up (and `once`) polls every source, this many at a time.
		PollAllConcurrency: cfg.HTTP.Concurrency,
	})
	for _, src := range cfg.Sources {
		var s watchers.Source
		switch src.Type {
		case config.TypeITUListing:
			if src.DocumentLanguage == config.DocumentLanguageNone {
				s = watchers.NewITUListingSource(src.ID, src.URL, fetcher, src.MaxPages)
				break
			}
			s = watchers.NewITUListingSourceWithText(src.ID, src.URL, fetcher, src.MaxPages, watchers.DocumentText{
				Known: st, Language: src.DocumentLanguage, MaxPerPoll: src.MaxDocumentsPerPoll, Logger: log,
			})
		case config.TypePage:
			s = watchers.NewPageSource(src.ID, src.URL, fetcher, src.Selector)
		default:
			s = watchers.NewFeedSource(src.ID, src.URL, fetcher)
		}
		if err := a.scheduler.Add(s, src.Schedule); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.ID, err)
		}
	}

	a.router = chat.NewRouter(chat.RouterOptions{
		Queries:   claimingStore{Store: st, wake: a.editor.Wake},
		Topics:    topicInfos(eng),
		Sources:   sourceInfos(cfg),
		Version:   version,
		Problems:  a.chatProblems,
		Logger:    log, // not slog.Default: in chat, info lines would land in the conversation
		Listeners: a.listenerStatuses,
		Digests:   a.digests,
	})
	a.commands = countingHandler{next: a.router, first: a.firstAnswer}
	ok = true
	return a, nil
}

func topicInfos(eng *rules.Engine) []chat.TopicInfo {
	var out []chat.TopicInfo
	for _, t := range eng.Topics() {
		out = append(out, chat.TopicInfo{ID: t.ID, Name: t.Name, Severity: t.Severity, Annotation: t.Annotation})
	}
	return out
}

func sourceInfos(cfg *config.Config) []chat.SourceInfo {
	var out []chat.SourceInfo
	for _, s := range cfg.Sources {
		out = append(out, chat.SourceInfo{ID: s.ID, Name: s.Name, Type: s.Type, URL: s.URL, Schedule: s.Schedule})
	}
	return out
}

// Close releases everything in reverse order of acquisition.
func (a *app) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// pollOnce polls every source once, then delivers what that queued. It
// returns the sources that failed, described for a person.
func (a *app) pollOnce(ctx context.Context) (failed []string, err error) {
	// Mutes and snoozes that ran out since the last run end first, as `run`
	// ends them every minute: their notices go out with this run's alerts.
	if err := pipeline.EndExpired(ctx, a.store, time.Now(), nil); err != nil {
		a.log.Error("end mutes and snoozes", "error", err)
	}
	for _, r := range a.scheduler.PollAll(ctx) {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", r.SourceID, r.Err))
		}
	}
	// A digest whose period ended since the last run goes out with the
	// alerts: `once` run from cron sends digests too.
	if _, _, err := a.digests.CloseDue(ctx); err != nil {
		a.log.Error("closing digests failed", "error", err)
	}
	if _, err := a.dispatcher.DeliverDue(ctx); err != nil {
		return failed, fmt.Errorf("deliver alerts: %w", err)
	}
	// Claims made since the last run show on the alerts posted so far.
	if _, err := a.editor.EditDue(ctx); err != nil {
		return failed, fmt.Errorf("edit claimed alerts: %w", err)
	}
	return failed, nil
}

func joinLines(lines []string) string { return "  " + strings.Join(lines, "\n  ") }
