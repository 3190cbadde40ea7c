package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// TestInstancesHeartbeatAndLeader: each instance keeps its row fresh; the
// one that leads marks itself and takes the mark off a predecessor that
// died without a word; rows of the long dead are pruned.
func TestInstancesHeartbeatAndLeader(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		testInstancesHeartbeatAndLeader(t, openDriverTest(t))
	})
}

func testInstancesHeartbeatAndLeader(t *testing.T, s *Store) {
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	for i, id := range []string{"a1b2c3d4", "c3d4e5f6"} {
		if err := s.RegisterInstance(ctx, model.Instance{ID: id, Host: "host" + id[:1], PID: 100 + i, Version: "1.2.3", StartedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Heartbeat(ctx, "a1b2c3d4", true, t0.Add(2*time.Second)))
	must(s.Heartbeat(ctx, "a1b2c3d4", true, t0.Add(4*time.Second))) // leader_since stays
	must(s.Heartbeat(ctx, "c3d4e5f6", false, t0.Add(5*time.Second)))
	got, err := s.Instances(ctx, t0)
	must(err)
	if len(got) != 2 || got[0].ID != "a1b2c3d4" || !got[0].Leader || got[1].Leader {
		t.Fatalf("Instances = %+v, want a1b2c3d4 leading, then c3d4e5f6", got)
	}
	if !got[0].LeaderSince.Equal(t0.Add(2*time.Second)) || !got[0].LastSeen.Equal(t0.Add(4*time.Second)) || got[0].Host != "hosta" || got[0].PID != 100 || got[0].Version != "1.2.3" {
		t.Errorf("leader row = %+v", got[0])
	}

	// a1b2 is killed; c3d4 takes the lock and says so in its next beat.
	must(s.Heartbeat(ctx, "c3d4e5f6", true, t0.Add(9*time.Second)))
	got, err = s.Instances(ctx, t0)
	must(err)
	if len(got) != 2 || got[0].ID != "c3d4e5f6" || !got[0].Leader || got[1].Leader {
		t.Fatalf("after the takeover Instances = %+v, want only c3d4e5f6 leading", got)
	}
	if got, _ := s.Instances(ctx, t0.Add(6*time.Second)); len(got) != 1 {
		t.Errorf("Instances seen in the last seconds = %+v, want only the live one", got)
	}
	must(s.PruneInstances(ctx, t0.Add(6*time.Second)))
	if err := s.Heartbeat(ctx, "a1b2c3d4", false, t0.Add(20*time.Second)); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("heartbeat of a pruned instance: %v, want ErrNotFound (it registers again)", err)
	}
	must(s.RemoveInstance(ctx, "c3d4e5f6"))
	if got, _ := s.Instances(ctx, time.Time{}); len(got) != 0 {
		t.Errorf("after RemoveInstance: %+v", got)
	}
}

// TestFirstChatEvent: the first instance to record an event answers it;
// the same event handed to another connection, or redelivered, is not.
func TestFirstChatEvent(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		testFirstChatEvent(t, openDriverTest(t))
	})
}

func testFirstChatEvent(t *testing.T, s *Store) {
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	first, err := s.FirstChatEvent(ctx, "slack:trigger:13345224609.738474920.8088930838d88f008e0", "a1b2c3d4", t0)
	if err != nil || !first {
		t.Fatalf("first record = %v, %v; want true", first, err)
	}
	again, err := s.FirstChatEvent(ctx, "slack:trigger:13345224609.738474920.8088930838d88f008e0", "c3d4e5f6", t0.Add(time.Second))
	if err != nil || again {
		t.Fatalf("second record = %v, %v; want false", again, err)
	}
	other, err := s.FirstChatEvent(ctx, "slack:event:Ev0PV52K25", "c3d4e5f6", t0)
	if err != nil || !other {
		t.Fatalf("another event = %v, %v; want true", other, err)
	}
	if err := s.PruneInstances(ctx, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.FirstChatEvent(ctx, "slack:event:Ev0PV52K25", "c3d4e5f6", t0.Add(2*time.Minute)); !again {
		t.Error("a pruned event is not recorded again")
	}
}

// TestClaimDelivery: a delivery's lease is taken by one instance at a time,
// given back when the outcome is recorded, and free again once its holder
// stops heartbeating or it expires; taking over a lease never given back
// says that an earlier attempt may have reached the platform.
func TestClaimDelivery(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		testClaimDelivery(t, openDriverTest(t))
	})
}

func testClaimDelivery(t *testing.T, s *Store) {
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	var ids []int64
	for _, id := range []string{"1", "2"} {
		it := item("src", id, "item "+id)
		mustSave(t, s, model.ItemSave{Item: it, Fingerprint: id, Alert: alertFor(it, "new-ip"), Destinations: []string{"slack:#a"}})
	}
	pending, err := s.PendingDeliveries(ctx, 10)
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending = %v, %v", pending, err)
	}
	for _, d := range pending {
		ids = append(ids, d.ID)
	}
	for _, id := range []string{"A", "B"} {
		if err := s.RegisterInstance(ctx, model.Instance{ID: id, StartedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	now, lease := t0.Add(time.Second), t0.Add(time.Minute)
	live := now.Add(-10 * time.Second)
	claim := func(id int64, inst string, now, live time.Time) DeliveryClaim {
		t.Helper()
		c, err := s.ClaimDelivery(ctx, id, inst, now, now.Add(time.Minute), live)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := claim(ids[0], "A", now, live); !c.Claimed || c.Interrupted {
		t.Fatalf("A's first claim = %+v, want claimed, not interrupted", c)
	}
	if c := claim(ids[0], "B", now, live); c.Claimed {
		t.Fatalf("B claimed a delivery A holds: %+v", c)
	}
	if err := s.MarkDelivered(ctx, ids[0], "1700000000.000100", now); err != nil {
		t.Fatal(err)
	}
	if c := claim(ids[0], "B", now, live); c.Claimed {
		t.Fatalf("B claimed a delivered delivery: %+v", c)
	}

	// A claims the second and is killed before recording anything.
	if c := claim(ids[1], "A", now, live); !c.Claimed {
		t.Fatal("A could not claim the second delivery")
	}
	if c := claim(ids[1], "B", now.Add(5*time.Second), live); c.Claimed {
		t.Fatal("B took a lease whose holder is still live")
	}
	// B keeps beating, A does not: 30 s later A counts as dead.
	later := now.Add(30 * time.Second)
	if err := s.Heartbeat(ctx, "B", true, later); err != nil {
		t.Fatal(err)
	}
	c := claim(ids[1], "B", later, later.Add(-10*time.Second))
	if !c.Claimed || !c.Interrupted {
		t.Fatalf("B's takeover of a dead instance's lease = %+v, want claimed and interrupted", c)
	}
	if err := s.MarkRetry(ctx, ids[1], later, "timeout"); err != nil {
		t.Fatal(err)
	}
	if c := claim(ids[1], "A", later, later.Add(-time.Hour)); !c.Claimed || c.Interrupted {
		t.Fatalf("claim after a recorded retry = %+v, want claimed, not interrupted (the lease was given back)", c)
	}
	// An expired lease is free even while its holder lives.
	if c := claim(ids[1], "B", lease.Add(time.Hour), t0.Add(-time.Hour)); !c.Claimed || !c.Interrupted {
		t.Fatalf("claim of an expired lease = %+v, want claimed and interrupted", c)
	}
}
