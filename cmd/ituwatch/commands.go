package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// shutdownGrace bounds how long SIGTERM waits for polls and sends in flight.
const shutdownGrace = 20 * time.Second

func cmdRun(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "run", "run -c FILE [--log-level debug|info|warn]")
	cfgPath := fs.String("c", "ituwatch.yaml", "config file")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	log := newLogger(env.stderr, *level)
	a, err := newApp(ctx, cfg, log, appOptions{stdout: env.stdout})
	if err != nil {
		return err
	}
	defer a.Close()

	log.Info("ituwatch running", "version", version, "sources", len(cfg.Sources), "topics", len(a.engine.Topics()), "store", cfg.Store.Driver, "store_path", cfg.Store.Path)

	// Work runs on its own context so that, on a signal, polls and sends in
	// flight get a bounded grace period instead of being cut mid-write.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	if err := a.serveMetrics(work, cfg.Metrics.Listen); err != nil {
		return err
	}
	if err := a.serveWeb(work); err != nil { // web.go
		return err
	}
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	// Several instances may share the store (leader.go): every one keeps its
	// row fresh and answers Slack commands; only the leader polls, sends and
	// runs Matrix, under a context that ends when it stops leading.
	if err := a.registerInstance(work); err != nil {
		return err
	}
	wg.Go(func() {
		heartbeat(work, a.store, a.instance, a.store.HeartbeatEvery(), a.election.Leading, log)
	})
	everyone, leaderOnly := a.listeners()
	lead := func(ctx context.Context) {
		var lwg sync.WaitGroup
		start := func(name string, fn func(context.Context) error) {
			lwg.Go(func() {
				if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
					select {
					case errc <- fmt.Errorf("%s: %w", name, err):
					default:
					}
				}
			})
		}
		start("scheduler", a.scheduler.Run)
		start("dispatcher", a.dispatcher.Run)
		start("expiry", a.runExpiry) // mutes and snoozes that ran out (expiry.go)
		start("editor", a.editor.Run)
		start("digests", a.digests.Run)
		for _, listen := range leaderOnly {
			lwg.Go(func() { listen(ctx) })
		}
		if a.store.Driver() == "postgres" {
			lwg.Go(func() { a.wakeForOthers(ctx) })
		}
		lwg.Wait()
	}
	wg.Go(func() { a.election.Run(work, lead) })
	// The chat listeners never end the run: each one retries under its
	// supervisor until work ends, so a chat platform's outage or a revoked
	// token leaves polling, the console and the other platform untouched.
	for _, listen := range everyone {
		wg.Go(func() { listen(work) })
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", shutdownGrace)
	case runErr = <-errc:
		log.Error("stopping after a fatal error", "error", runErr)
	}
	cancelWork()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		a.unregisterInstance()
	case <-time.After(shutdownGrace):
		log.Warn("shutdown grace period over; undelivered alerts stay queued for the next start")
	}
	return runErr
}

func cmdOnce(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "once", "once -c FILE [--json]")
	cfgPath := fs.String("c", "ituwatch.yaml", "config file")
	jsonOut := fs.Bool("json", false, "print alerts as JSON lines")
	level := fs.String("log-level", "warn", "log level")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	// Sources are polled concurrently: two alerting at once must not
	// interleave their lines.
	var (
		printMu    sync.Mutex
		printErr   error
		summarised = map[string]bool{}
	)
	printAlert := func(a model.Alert, dests []string) {
		printMu.Lock()
		defer printMu.Unlock()
		if printErr != nil {
			return
		}
		// The per-poll limit applies here too: an alert it kept from every
		// destination is not printed, and of the summaries (one per
		// destination, the console's first) one per source is.
		if len(a.HeldFrom) > 0 && len(dests) == 0 {
			return
		}
		if a.Kind == model.AlertSummary {
			if a.Held == nil || summarised[a.Held.Source] {
				return
			}
			summarised[a.Held.Source] = true
		}
		printErr = writeAlert(env.stdout, a, *jsonOut, cfg.Web.BaseURL)
	}
	// Every new alert is printed here; the console route's deliveries are
	// still recorded, but not printed twice.
	a, err := newApp(ctx, cfg, newLogger(env.stderr, *level), appOptions{stdout: io.Discard, onAlert: printAlert})
	if err != nil {
		return err
	}
	defer a.Close()
	// `run` instances may share the store: this process's delivery leases
	// must count as live to them while it works.
	if err := a.store.RegisterInstance(ctx, a.instance); err == nil {
		hctx, stop := context.WithCancel(ctx)
		beating := make(chan struct{})
		go func() {
			defer close(beating)
			heartbeat(hctx, a.store, a.instance, a.store.HeartbeatEvery(), func() (bool, time.Time) { return false, time.Time{} }, a.log)
		}()
		defer func() { stop(); <-beating; a.unregisterInstance() }()
	}
	failed, err := a.pollOnce(ctx)
	if err != nil {
		return err
	}
	if printErr != nil {
		return fmt.Errorf("print alerts: %w", printErr)
	}
	if len(failed) > 0 {
		fmt.Fprintf(env.stderr, "%d of %d sources failed:\n%s\n", len(failed), len(cfg.Sources), joinLines(failed))
		if len(failed) == len(cfg.Sources) {
			return errors.New("every source failed")
		}
	}
	return nil
}

// writeAlert prints a for once; permalinkBase is web.base_url.
func writeAlert(w io.Writer, a model.Alert, jsonLines bool, permalinkBase string) error {
	if jsonLines {
		b, err := render.FormatJSONWith(a, render.JSONOptions{PermalinkBase: permalinkBase})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	v := render.NewAlertView(a, render.ViewOptions{PermalinkBase: permalinkBase})
	_, err := fmt.Fprintln(w, render.Text(v, render.TextOptions{Bold: render.TerminalBold(w, os.LookupEnv)}))
	return err
}

func cmdCheckConfig(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "check-config", "check-config -c FILE [--print]")
	cfgPath := fs.String("c", "ituwatch.yaml", "config file")
	print := fs.Bool("print", false, "print the effective config, secrets redacted")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, eng, err := checkedConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	if *print {
		fmt.Fprintln(env.stdout, cfg.Redacted())
	}
	counted := func(n int, noun string) string {
		if n == 1 {
			return "1 " + noun
		}
		return fmt.Sprintf("%d %ss", n, noun)
	}
	fmt.Fprintf(env.stdout, "%s: OK — %s, %s, %s\n", *cfgPath, counted(len(cfg.Sources), "source"), counted(len(cfg.Routes), "route"), counted(len(eng.Topics()), "topic"))
	return nil
}

func cmdChat(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "chat", "chat -c FILE")
	cfgPath := fs.String("c", "ituwatch.yaml", "config file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, newLogger(env.stderr, "warn"), appOptions{stdout: io.Discard})
	if err != nil {
		return err
	}
	defer a.Close()
	return chat.RunTerminal(ctx, env.stdin, env.stdout, a.commands)
}

//go:embed starter.yaml
var starterConfig string

func cmdInit(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "init", "init [-c FILE]")
	cfgPath := fs.String("c", "ituwatch.yaml", "config file to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := os.OpenFile(*cfgPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; init never overwrites a config: give another file with -c, or check this one with 'ituwatch check-config -c %s'", *cfgPath, *cfgPath)
	}
	if err != nil {
		return fmt.Errorf("write starter config: %w", err)
	}
	_, werr := io.WriteString(f, strings.ReplaceAll(starterConfig, "THIS_FILE", *cfgPath))
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(*cfgPath) // a half-written starter would only confuse
		return fmt.Errorf("write starter config %s: %w", *cfgPath, err)
	}
	fmt.Fprintf(env.stdout, `wrote %[1]s: news feeds on the ITU, the built-in topics, every alert to this terminal; no tokens needed.
Next:
  ituwatch check-config -c %[1]s
  ituwatch once -c %[1]s     # poll every source once, print new alerts
  ituwatch run -c %[1]s      # keep watching
For document listings, Slack and Matrix, see ituwatch.example.yaml.
`, *cfgPath)
	return nil
}
