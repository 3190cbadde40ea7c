package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/bot"
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

	log.Info("ituwatch running", "version", version, "sources", len(cfg.Sources), "topics", len(a.engine.Topics()), "store", cfg.Store.Path)

	// Work runs on its own context so that, on a signal, polls and sends in
	// flight get a bounded grace period instead of being cut mid-write.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	if err := a.serveMetrics(work, cfg.Metrics.Listen); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	start := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(work); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	start("scheduler", a.scheduler.Run)
	start("dispatcher", a.dispatcher.Run)
	// The chat listeners never end the run: each one retries under its
	// supervisor until work ends, so a chat platform's outage or a revoked
	// token leaves polling, the console and the other platform untouched.
	for _, listen := range a.listeners() {
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
	var printErr error
	printAlert := func(a model.Alert, _ []string) {
		if printErr != nil {
			return
		}
		printErr = writeAlert(env.stdout, a, *jsonOut)
	}
	// Every new alert is printed here; the console route's deliveries are
	// still recorded, but not printed twice.
	a, err := newApp(ctx, cfg, newLogger(env.stderr, *level), appOptions{stdout: io.Discard, onAlert: printAlert})
	if err != nil {
		return err
	}
	defer a.Close()
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

func writeAlert(w io.Writer, a model.Alert, jsonLines bool) error {
	if jsonLines {
		b, err := bot.FormatJSON(a)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintln(w, bot.FormatText(a))
	return err
}

func cmdCheckConfig(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "check-config", "check-config -c FILE [--print]")
	cfgPath := fs.String("c", "ituwatch.yaml", "config file")
	print := fs.Bool("print", false, "print the effective config, secrets redacted")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env, *cfgPath)
	if err != nil {
		return err
	}
	eng, err := loadEngine(cfg.Rules.Packs)
	if err != nil {
		return err
	}
	if *print {
		fmt.Fprintln(env.stdout, cfg.Redacted())
	}
	fmt.Fprintf(env.stdout, "%s: OK — %d sources, %d routes, %d topics\n", *cfgPath, len(cfg.Sources), len(cfg.Routes), len(eng.Topics()))
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
	return bot.RunTerminal(ctx, env.stdin, env.stdout, a.commands)
}
