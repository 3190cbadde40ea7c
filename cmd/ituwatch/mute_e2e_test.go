package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// What an operator meets: `ituwatch chat` mutes the console's source and
// follows a word; the next `once` stores every alert, the console's
// deliveries of the muted source recorded as muted, and the mute and
// follow are still there for the next session.
func TestChatMuteAndFollowSurviveIntoTheNextRun(t *testing.T) {
	srv := httptest.NewServer(&feedServer{bodies: map[string]string{"/news.rss": rss(itemNewIP, itemCWG), "/trade.rss": rss()}})
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, srv.URL)
	noEnv := func(string) (string, bool) { return "", false }

	var out, errs bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errs, lookupEnv: noEnv,
		stdin: strings.NewReader("mute source:policy-* for 2d quiet week\nmute nonsense-* \nfollow \"new ip\"\n")}
	if code := runCLI(context.Background(), env, []string{"chat", "-c", cfgPath}); code != 0 {
		t.Fatalf("chat exited %d\n%s", code, errs.String())
	}
	for _, want := range []string{"This console won't be sent alerts on source policy-*", "no source matches \"nonsense-*\"", `You now follow the words "new ip"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("chat session lacks %q:\n%s", want, out.String())
		}
	}

	env = &cliEnv{stdout: &bytes.Buffer{}, stderr: &errs, stdin: strings.NewReader(""), lookupEnv: noEnv}
	if code := runCLI(context.Background(), env, []string{"once", "-c", cfgPath}); code != 0 {
		t.Fatalf("once exited %d\n%s", code, errs.String())
	}

	st, err := store.Open(context.Background(), filepath.Join(dir, "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	counts, err := st.DeliveryCounts(context.Background(), "console", time.Time{}, time.Now().Add(time.Hour))
	if err != nil || counts[model.DeliveryMuted] != 2 || counts[model.DeliveryPending]+counts[model.DeliveryDelivered] != 0 {
		t.Errorf("console deliveries = %v, %v; want both alerts muted", counts, err)
	}
	hits, err := st.Search(context.Background(), "New IP", 5)
	if err != nil || len(hits) == 0 {
		t.Errorf("search for the muted item = %v, %v", hits, err)
	}
	st.Close()

	out.Reset()
	env = &cliEnv{stdout: &out, stderr: &errs, lookupEnv: noEnv, stdin: strings.NewReader("mutes\nfollowing\n")}
	if code := runCLI(context.Background(), env, []string{"chat", "-c", cfgPath}); code != 0 {
		t.Fatalf("second chat exited %d", code)
	}
	for _, want := range []string{"source policy-*", "quiet week", `the words "new ip"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("second session lacks %q:\n%s", want, out.String())
		}
	}
}

// `once` run from cron ends the mutes that ran out since its last run, as
// `run` does every minute: the channel gets its alerts again and is told so
// once.
func TestOnceEndsExpiredMutes(t *testing.T) {
	srv := httptest.NewServer(&feedServer{bodies: map[string]string{"/news.rss": rss(itemNewIP, itemCWG), "/trade.rss": rss()}})
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, srv.URL)
	noEnv := func(string) (string, bool) { return "", false }

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMute(ctx, model.Mute{Destination: "console", Kind: model.MuteSource, Value: "policy-*", ExpiresAt: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var errs bytes.Buffer
	env := &cliEnv{stdout: &bytes.Buffer{}, stderr: &errs, stdin: strings.NewReader(""), lookupEnv: noEnv}
	if code := runCLI(ctx, env, []string{"once", "-c", cfgPath}); code != 0 {
		t.Fatalf("once exited %d\n%s", code, errs.String())
	}

	st, err = store.Open(ctx, filepath.Join(dir, "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if active, err := st.Mutes(ctx, "console", time.Now()); err != nil || len(active) != 0 {
		t.Errorf("mutes still in force after once = %+v, %v; want none", active, err)
	}
	counts, err := st.DeliveryCounts(ctx, "console", time.Time{}, time.Now().Add(time.Hour))
	if err != nil || counts[model.DeliveryMuted] != 0 || counts[model.DeliveryDelivered] < 3 {
		t.Errorf("console deliveries = %v, %v; want the 2 alerts and the end-of-mute notice delivered, none muted", counts, err)
	}
}
