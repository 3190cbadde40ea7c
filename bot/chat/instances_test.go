package chat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
)

// instanceQueries is a store shared by several instances.
type instanceQueries struct {
	*fakeQueries
	instances []model.Instance
	err       error
	since     time.Time
	liveFor   time.Duration
}

func (q *instanceQueries) InstanceLiveFor() time.Duration { return q.liveFor }

func (q *instanceQueries) Instances(_ context.Context, since time.Time) ([]model.Instance, error) {
	q.since = since
	return q.instances, q.err
}

// TestStatusListsInstances: status says which instances run, which one
// leads and since when, and how fresh the others are; with none leading
// it says that polling waits.
func TestStatusListsInstances(t *testing.T) {
	t0 := bottest.T0
	two := []model.Instance{
		{ID: "a1b2c3d4", Host: "vm-geneva", Leader: true, LeaderSince: t0.Add(-20 * time.Minute), LastSeen: t0.Add(-time.Second)},
		{ID: "c3d4e5f6", Host: "vm-brussels", LastSeen: t0.Add(-3 * time.Second)},
	}
	tests := []struct {
		name      string
		instances []model.Instance
		err       error
		want      []string
		notWant   []string
	}{
		{name: "leader and standby", instances: two, want: []string{
			"2 instances", "a1b2c3d4 on vm-geneva (leader since " + t0.Add(-20*time.Minute).UTC().Format("15:04") + " UTC), c3d4e5f6 on vm-brussels (standby, seen 3 s ago)",
		}, notWant: []string{"none leads"}},
		{name: "leader killed, none yet", instances: []model.Instance{two[1]}, want: []string{"1 instance", "c3d4e5f6 on vm-brussels (standby", "none leads at the moment"}},
		{name: "leader killed, its row still there", instances: []model.Instance{
			{ID: "a1b2c3d4", Host: "vm-geneva", Leader: true, LeaderSince: t0.Add(-20 * time.Minute), LastSeen: t0.Add(-9 * time.Second)},
			two[1],
		}, want: []string{
			"1 instance (and 1 silent)", "a1b2c3d4 on vm-geneva (silent since 9 s ago: stopped or cut off), c3d4e5f6 on vm-brussels (standby, seen 3 s ago)", "none leads at the moment",
		}, notWant: []string{"leader since"}},
		{name: "none registered", notWant: []string{"instance"}},
		{name: "store error", err: errors.New("boom"), want: []string{"ituwatch 1.2.3 status"}, notWant: []string{"instance"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &instanceQueries{fakeQueries: newFakeQueries(), instances: tt.instances, err: tt.err, liveFor: 7 * time.Second}
			r := newTestRouter(q, &bottest.Clock{T: t0})
			reply := r.Handle(context.Background(), Request{Text: "status", Platform: "slack", Channel: "C1", User: "U1"})
			out := RenderPlain(reply)
			if reply.Error {
				t.Fatalf("status failed:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("status lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("status has %q:\n%s", w, out)
				}
			}
			if !q.since.Equal(t0.Add(-time.Minute)) {
				t.Errorf("asked for instances seen since %v, want the last minute", q.since)
			}
		})
	}
}
