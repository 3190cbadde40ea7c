package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/watchers"
)

// Event counters are package-level, as events happen wherever the parts
// run; what the store already knows (queue, source health, alerts) is read
// at scrape time by storeCollector instead, so it is never out of step.
var (
	pollsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ituwatch_polls_total",
		Help: "Polls of a source by outcome: ok, not_modified, failed, skipped.",
	}, []string{"source", "outcome"})
	pollSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ituwatch_poll_duration_seconds",
		Help:    "Time a poll took, fetch, parse and ingest together (skipped polls are not observed).",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"source"})
	itemsPolledTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ituwatch_items_polled_total",
		Help: "Items read from changed source bodies (new, changed and unchanged alike).",
	}, []string{"source"})
	deliveriesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ituwatch_deliveries_total",
		Help: "Delivery attempts by destination and outcome: delivered, rate_limited, retry, held (the bot is not in the channel or room yet), failed, stopped.",
	}, []string{"destination", "outcome"})
	retriesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ituwatch_delivery_retries_total",
		Help: "Delivery attempts after the first, by destination.",
	}, []string{"destination"})
	commandsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ituwatch_commands_total",
		Help: "Chat commands answered, by platform, command and result (ok, error).",
	}, []string{"platform", "command", "result"})
)

// knownCommands bounds the command label: anything else counts as "unknown",
// so a user typing nonsense cannot grow the label set.
var knownCommands = []string{"help", "recent", "search", "topics", "sources", "status", "explain", "subscribe", "unsubscribe", "subscriptions"}

const (
	scrapeTimeout   = 5 * time.Second
	shutdownTimeout = 5 * time.Second
)

// serveMetrics starts /healthz and /metrics on listen ("" turns them off)
// and returns once it listens: a busy or wrong address fails the start
// rather than a goroutine later. The server stops when ctx ends.
func (a *app) serveMetrics(ctx context.Context, listen string) error {
	if listen == "" {
		return nil
	}
	_, err := a.startMetrics(ctx, listen)
	return err
}

// startMetrics is serveMetrics returning the address it listens on.
func (a *app) startMetrics(ctx context.Context, listen string) (net.Addr, error) {
	h, err := a.metricsHandler()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("metrics: cannot listen on %s (%v); change metrics.listen in the config or free the port", listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics server stopped", "listen", listen, "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	a.log.Info("metrics listening", "listen", ln.Addr().String())
	return ln.Addr(), nil
}

// metricsHandler builds the HTTP handler. The counters it exposes are fed
// by hooks newApp installs (observePoll, countingNotifier, countingHandler).
func (a *app) metricsHandler() (http.Handler, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		pollsTotal, pollSeconds, itemsPolledTotal, deliveriesTotal, retriesTotal, commandsTotal,
		&storeCollector{a: a, started: time.Now()},
		listenerCollector{a: a},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ituwatch_leading",
			Help: "1 while this instance leads (polls, sends, runs Matrix), 0 while it stands by; one instance of those sharing a store leads.",
		}, func() float64 {
			if a.election == nil {
				return 1 // not `run`: nothing to share
			}
			if lead, _ := a.election.Leading(); lead {
				return 1
			}
			return 0
		}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A store hiccup costs its gauges, not the counters.
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       scrapeTimeout,
	}))
	mux.HandleFunc("GET /healthz", a.healthz)
	return mux, nil
}

// health is the /healthz answer: enough for a probe and for a person.
type health struct {
	OK                   bool     `json:"ok"`
	Error                string   `json:"error,omitempty"`
	Sources              int      `json:"sources"`
	SourcesFailing       []string `json:"sources_failing"`
	QueueDepth           int      `json:"queue_depth"`
	OldestPendingSeconds float64  `json:"oldest_pending_seconds"`
	FailedDeliveries     int      `json:"failed_deliveries"`
	// Status is "ok", "degraded" (a chat listener is down: alerts are still
	// polled, stored and sent wherever the platform accepts them, and the
	// listener reconnects on its own) or "down" (the store does not answer).
	Status        string           `json:"status"`
	Listeners     []listenerHealth `json:"listeners"`
	ListenersDown []string         `json:"listeners_down"`
	// Instance is this process among those sharing the store; Leading
	// whether it polls and sends; Leader the instance that does ("" while
	// none does, for the seconds of a takeover).
	Instance string `json:"instance"`
	Leading  bool   `json:"leading"`
	Leader   string `json:"leader"`
}

// listenerHealth is one chat command listener in /healthz.
type listenerHealth struct {
	Name   string    `json:"name"`
	State  string    `json:"state"` // up, connecting, down
	Since  time.Time `json:"since"`
	Reason string    `json:"reason,omitempty"`
}

// healthz answers 200 while the store answers, whatever the sources and
// the chat platforms do: a failing feed is the site's problem and a chat
// outage the platform's, not a reason to restart the daemon (a restart
// fixes neither; ituwatch retries both on its own). A chat listener that
// is down makes the answer "degraded", still 200, naming it in
// listeners_down; only a store that does not answer gives 503 and "down".
func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout)
	defer cancel()
	h := health{Sources: len(a.cfg.Sources), SourcesFailing: []string{}, Status: "ok", Listeners: []listenerHealth{}, ListenersDown: []string{}, Instance: a.instance.ID}
	if a.election != nil {
		h.Leading, _ = a.election.Leading()
	}
	for _, l := range a.listenerStatuses() {
		h.Listeners = append(h.Listeners, listenerHealth{Name: l.Name, State: string(l.State), Since: l.Since.UTC(), Reason: l.Reason})
		if l.State == chat.ListenerDown {
			h.ListenersDown = append(h.ListenersDown, l.Name)
			h.Status = "degraded"
		}
	}
	status := http.StatusOK
	err := func() error {
		states, err := a.store.SourceStates(ctx)
		if err != nil {
			return err
		}
		h.SourcesFailing = failingSources(a.configuredSources(), states)
		dests, err := a.store.DestinationStatuses(ctx)
		if err != nil {
			return err
		}
		h.QueueDepth, h.OldestPendingSeconds, h.FailedDeliveries = queueSummary(dests, time.Now())
		h.Leader, err = a.leaderID(ctx)
		return err
	}()
	if err != nil {
		// The cause goes to the log; the probe only needs to know.
		a.log.Error("health check: store unreachable", "error", err)
		status = http.StatusServiceUnavailable
		h.Error = "the store does not answer"
		h.Status = "down"
	} else {
		h.OK = true
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(h)
}

func (a *app) configuredSources() []string {
	ids := make([]string, 0, len(a.cfg.Sources))
	for _, s := range a.cfg.Sources {
		ids = append(ids, s.ID)
	}
	return ids
}

// failingSources lists configured sources whose last poll failed or that
// are retired; a removed source's old state does not count.
func failingSources(configured []string, states []model.SourceState) []string {
	out := []string{}
	for _, st := range states {
		if slices.Contains(configured, st.SourceID) && (st.ConsecutiveFailures > 0 || st.Retired) {
			out = append(out, st.SourceID)
		}
	}
	return out
}

func queueSummary(dests []model.DestinationStatus, now time.Time) (depth int, oldestSeconds float64, failed int) {
	for _, d := range dests {
		depth += d.Pending
		failed += d.Failed
		if !d.OldestPending.IsZero() {
			oldestSeconds = max(oldestSeconds, now.Sub(d.OldestPending).Seconds())
		}
	}
	return depth, oldestSeconds, failed
}

func observePoll(r watchers.PollResult) {
	outcome := "ok"
	switch {
	case r.Skipped != "":
		outcome = "skipped"
	case r.Err != nil:
		outcome = "failed"
	case r.NotModified:
		outcome = "not_modified"
	}
	pollsTotal.WithLabelValues(r.SourceID, outcome).Inc()
	if r.Skipped == "" {
		pollSeconds.WithLabelValues(r.SourceID).Observe(r.Duration.Seconds())
		itemsPolledTotal.WithLabelValues(r.SourceID).Add(float64(r.Items))
	}
}

// countingNotifier counts each send by destination and outcome.
type countingNotifier struct {
	platform string
	next     notify.Notifier
}

func (n countingNotifier) Send(ctx context.Context, msg notify.Outgoing) (string, error) {
	dest := model.Destination{Platform: n.platform, Target: msg.Target}.String()
	if msg.Attempt > 1 {
		retriesTotal.WithLabelValues(dest).Inc()
	}
	id, err := n.next.Send(ctx, msg)
	outcome := "delivered"
	if err != nil {
		_, limited := notify.RetryAfter(err)
		switch {
		case ctx.Err() != nil:
			outcome = "stopped"
		case notify.IsHeld(err):
			outcome = "held"
		case notify.IsPermanent(err):
			outcome = "failed"
		case limited:
			outcome = "rate_limited"
		default:
			outcome = "retry"
		}
	}
	deliveriesTotal.WithLabelValues(dest, outcome).Inc()
	return id, err
}

// countingHandler counts chat commands by platform, command and result.
// With first set it is a chat.Once: instances sharing a store answer each
// event once.
type countingHandler struct {
	next  chat.Handler
	first func(ctx context.Context, eventID string) bool
}

// FirstAnswer implements chat.Once.
func (h countingHandler) FirstAnswer(ctx context.Context, eventID string) bool {
	if h.first == nil {
		return true
	}
	return h.first(ctx, eventID)
}

func (h countingHandler) Handle(ctx context.Context, req chat.Request) chat.Reply {
	reply := h.next.Handle(ctx, req)
	name := "help" // an empty command is answered with help
	if f := strings.Fields(req.Text); len(f) > 0 {
		name = strings.ToLower(f[0])
		if !slices.Contains(knownCommands, name) {
			name = "unknown"
		}
	}
	result := "ok"
	if reply.Error {
		result = "error"
	}
	platform := req.Platform
	if !slices.Contains([]string{"console", "slack", "matrix"}, platform) {
		platform = "other"
	}
	commandsTotal.WithLabelValues(platform, name, result).Inc()
	return reply
}

// storeCollector reads what the store knows at scrape time: the outbox
// per destination, the health of each configured source and the alerts
// since this process started.
type storeCollector struct {
	a       *app
	started time.Time
}

var (
	descPending = prometheus.NewDesc("ituwatch_outbox_pending",
		"Deliveries waiting to be sent, by destination.", []string{"destination"}, nil)
	descOldest = prometheus.NewDesc("ituwatch_outbox_oldest_pending_age_seconds",
		"Age of the oldest delivery still waiting, by destination (0 when none waits).", []string{"destination"}, nil)
	descFailed = prometheus.NewDesc("ituwatch_outbox_failed",
		"Deliveries given up for good (the destination refused them), by destination.", []string{"destination"}, nil)
	descFailures = prometheus.NewDesc("ituwatch_source_consecutive_failures",
		"Failed polls of a source since its last success.", []string{"source"}, nil)
	descRetired = prometheus.NewDesc("ituwatch_source_retired",
		"1 when a source said it is gone (HTTP 410) and is no longer polled.", []string{"source"}, nil)
	descLastOK = prometheus.NewDesc("ituwatch_source_last_success_timestamp_seconds",
		"When a source was last polled successfully (0 if never).", []string{"source"}, nil)
	descItems = prometheus.NewDesc("ituwatch_items_seen_total",
		"Items a source has delivered over its life, as the store counts them.", []string{"source"}, nil)
	descAlerts = prometheus.NewDesc("ituwatch_alerts_total",
		"Alerts stored since this process started, by topic.", []string{"topic"}, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPending, descOldest, descFailed, descFailures, descRetired, descLastOK, descItems, descAlerts} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	now := time.Now()
	if dests, err := c.a.store.DestinationStatuses(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descPending, fmt.Errorf("read the outbox: %w", err))
	} else {
		for _, d := range dests {
			age := 0.0
			if !d.OldestPending.IsZero() {
				age = now.Sub(d.OldestPending).Seconds()
			}
			ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(d.Pending), d.Destination)
			ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age, d.Destination)
			ch <- prometheus.MustNewConstMetric(descFailed, prometheus.GaugeValue, float64(d.Failed), d.Destination)
		}
	}
	if states, err := c.a.store.SourceStates(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descFailures, fmt.Errorf("read source states: %w", err))
	} else {
		byID := map[string]model.SourceState{}
		for _, st := range states {
			byID[st.SourceID] = st
		}
		for _, id := range c.a.configuredSources() {
			st := byID[id]
			retired, lastOK := 0.0, 0.0
			if st.Retired {
				retired = 1
			}
			if !st.LastSuccess.IsZero() {
				lastOK = float64(st.LastSuccess.UnixNano()) / 1e9
			}
			ch <- prometheus.MustNewConstMetric(descFailures, prometheus.GaugeValue, float64(st.ConsecutiveFailures), id)
			ch <- prometheus.MustNewConstMetric(descRetired, prometheus.GaugeValue, retired, id)
			ch <- prometheus.MustNewConstMetric(descLastOK, prometheus.GaugeValue, lastOK, id)
			ch <- prometheus.MustNewConstMetric(descItems, prometheus.CounterValue, float64(st.ItemsSeen), id)
		}
	}
	if counts, err := c.a.store.TopicCounts(ctx, c.started); err != nil {
		ch <- prometheus.NewInvalidMetric(descAlerts, fmt.Errorf("count alerts: %w", err))
	} else {
		for topic, n := range counts {
			ch <- prometheus.MustNewConstMetric(descAlerts, prometheus.CounterValue, float64(n), topic)
		}
	}
}

var descListenerUp = prometheus.NewDesc("ituwatch_chat_listener_up",
	"1 while a chat command listener is connected, 0 while it connects or is down (it retries on its own).", []string{"listener"}, nil)

// listenerCollector reports each chat listener's state at scrape time.
type listenerCollector struct{ a *app }

func (c listenerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descListenerUp }

func (c listenerCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range c.a.listenerStatuses() {
		up := 0.0
		if l.State == chat.ListenerUp {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descListenerUp, prometheus.GaugeValue, up, l.Name)
	}
}
