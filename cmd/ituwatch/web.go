package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ituwatch/ituwatch/rules"
	"github.com/ituwatch/ituwatch/web"
)

// webHandler builds the read-only web view over the app's store, rules and
// sources.
func (a *app) webHandler(listen string) (http.Handler, error) {
	refs := a.cfg.Rules.Packs
	if len(refs) == 0 {
		refs = []string{"builtin:itu"}
	}
	var packs []*rules.Pack
	for _, ref := range refs {
		p, err := rules.LoadPack(ref)
		if err != nil {
			return nil, fmt.Errorf("web view: load rule pack %s: %w", ref, err)
		}
		packs = append(packs, p)
	}
	var sources []web.Source
	for _, s := range a.cfg.Sources {
		sources = append(sources, web.Source{ID: s.ID, Name: s.Name, Type: s.Type, URL: s.URL, Schedule: s.Schedule})
	}
	return web.NewHandler(web.Options{
		Store:    a.store,
		Engine:   a.engine,
		Packs:    packs,
		Sources:  sources,
		Listen:   listen,
		BaseURL:  a.cfg.Web.BaseURL,
		Auth:     a.cfg.Web.Auth,
		Meetings: a.cfg.Web.Meetings,
		Logger:   a.log,
		Version:  version,
	})
}

// startWeb serves the web view on listen until ctx ends, returning the
// address it listens on.
func (a *app) startWeb(ctx context.Context, listen string) (net.Addr, error) {
	h, err := a.webHandler(listen)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("web view: cannot listen on %s (%v); free the port or choose another (web.listen in the config, --web-listen for the demo)", listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("web view stopped", "listen", listen, "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	// The first page would otherwise wait for the reads that fill the
	// timeline's and documents' caches.
	if w, ok := h.(interface{ Warm(context.Context) error }); ok {
		go func() {
			if err := w.Warm(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("web view: warming its caches failed; the first page will try again", "error", err)
			}
		}()
	}
	a.log.Info("web view listening", "listen", ln.Addr().String())
	return ln.Addr(), nil
}

// serveWeb is startWeb for `run`: nothing when web.listen is unset.
func (a *app) serveWeb(ctx context.Context) error {
	if a.cfg.Web.Listen == "" {
		return nil
	}
	_, err := a.startWeb(ctx, a.cfg.Web.Listen)
	return err
}

// demoWeb serves the web view on the demo's data until ctx ends (the
// demo's Ctrl-C), after printing where.
func demoWeb(ctx context.Context, a *app, env *cliEnv, listen string) error {
	addr, err := a.startWeb(ctx, listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "web view: http://%s/\n", addr)
	fmt.Fprintf(env.stderr, "serving the web view on the demo's data; press Ctrl-C to stop\n")
	<-ctx.Done()
	return nil
}
