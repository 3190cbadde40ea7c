//go:build goolm

package matrix

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // the store's driver

	"github.com/ituwatch/ituwatch/bot"
)

// openStoreDB opens a SQLite file the way the store opens its adapter pool.
func openStoreDB(t *testing.T) *sql.DB {
	t.Helper()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "ituwatch.db")+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestEncryptedRoom sets the crypto helper up in the store's database
// against the fake homeserver, sends an alert into an encrypted room, and
// starts again on the same database: the device keys are kept, not made anew.
func TestEncryptedRoom(t *testing.T) {
	f := newFakeHomeserver(t)
	db := openStoreDB(t)
	state := newMemState()
	withCrypto := func(o *Options) { o.Encryption, o.PickleKey, o.DB = true, "pickle-secret", db }

	c, _ := newTestClient(t, f, state, withCrypto)
	var up map[string]any
	select {
	case up = <-f.upload:
	default:
		t.Fatal("no keys uploaded while setting encryption up")
	}
	dk, _ := up["device_keys"].(map[string]any)
	if dk["user_id"] != botUser || dk["device_id"] != botDevice {
		t.Fatalf("uploaded device keys %v, want %s's device %s", dk, botUser, botDevice)
	}
	for _, table := range []string{"crypto_account", "mx_room_state"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s not in the store's database (err %v)", table, err)
		}
	}

	room := "!secret:example.org"
	state.kv[stateNextBatch] = "s0"
	member := func(user string) map[string]any {
		return map[string]any{"type": "m.room.member", "state_key": user, "sender": user, "event_id": "$m" + user, "content": map[string]any{"membership": "join"}}
	}
	enc := map[string]any{"type": "m.room.encryption", "state_key": "", "sender": "@alice:example.org", "event_id": "$enc", "content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}}
	f.push(joinRooms(room, []any{enc, member(botUser), member("@alice:example.org")}))
	listen(t, c, &fakeHandler{})
	f.waitSince(t, "s1") // the batch with the room state was handled

	if _, err := c.Send(context.Background(), bot.Outgoing{DeliveryID: 1, Alert: hostileAlert(), Target: room, Attempt: 1}); err != nil {
		t.Fatalf("Send into the encrypted room: %v", err)
	}
	ev := f.waitSent(t)
	if ev.Type != "m.room.encrypted" || ev.Content["algorithm"] != "m.megolm.v1.aes-sha2" || ev.Content["ciphertext"] == nil {
		t.Errorf("sent %s %v, want an m.room.encrypted megolm event", ev.Type, ev.Content)
	}
	if _, clear := ev.Content["body"]; clear {
		t.Error("the alert text went out in the clear")
	}
	if p := c.Problems(); len(p) != 0 {
		t.Errorf("Problems() = %q with encryption on, want none", p)
	}

	// A restart on the same database keeps the olm account.
	newTestClient(t, f, state, withCrypto)
	select {
	case up := <-f.upload:
		if _, again := up["device_keys"]; again {
			t.Error("device keys uploaded again after a restart: the olm account was not kept")
		}
	default:
	}
}
