//go:build goolm

package matrix

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"path/filepath"
	"testing"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
	"maunium.net/go/mautrix/sqlstatestore"
	_ "modernc.org/sqlite" // the store's driver

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/store/pgtest"
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
	testEncryptedRoom(t, openStoreDB(t), "sqlite")
}

// TestEncryptedRoomOnPostgres is TestEncryptedRoom with the store on
// Postgres: the crypto store keeps its tables in the store's schema.
func TestEncryptedRoomOnPostgres(t *testing.T) {
	st, err := store.OpenDriver(context.Background(), store.DriverPostgres, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	testEncryptedRoom(t, st.DB(), st.Driver())
}

func testEncryptedRoom(t *testing.T, db *sql.DB, dialect string) {
	f := newFakeHomeserver(t)
	state := newMemState()
	withCrypto := func(o *Options) {
		o.Encryption, o.PickleKey, o.DB, o.DBDialect = true, "pickle-secret", db, dialect
	}

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
		q := `SELECT count(*) FROM sqlite_master WHERE type='table' AND name=$1`
		if dialect == "postgres" {
			q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
		}
		if err := db.QueryRow(q, table).Scan(&n); err != nil || n != 1 {
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

	if _, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: 1, Alert: hostileAlert(), Target: room, Attempt: 1}); err != nil {
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

// TestEncryptedCommandBetweenTwoDevices has a person's client (a second
// crypto helper) send an encrypted "!itu status" through the fake
// homeserver; the bot must decrypt it, ask the handler, and answer with an
// encrypted notice that the person's device can decrypt.
func TestEncryptedCommandBetweenTwoDevices(t *testing.T) {
	ctx := context.Background()
	f := newFakeHomeserver(t)
	const (
		alice       = "@alice:example.org"
		aliceDevice = "ALICEDEV"
		aliceToken  = "alice-token-secret"
		room        = "!secret:example.org"
	)
	f.addUser(alice, aliceDevice, aliceToken)

	state := newMemState()
	state.kv[stateNextBatch] = "s0"
	c, _ := newTestClient(t, f, state, func(o *Options) {
		o.Encryption, o.PickleKey, o.DB = true, "pickle-secret", openStoreDB(t)
	})
	member := func(user string) map[string]any {
		return map[string]any{"type": "m.room.member", "state_key": user, "sender": user, "event_id": "$m" + user, "content": map[string]any{"membership": "join"}}
	}
	enc := map[string]any{"type": "m.room.encryption", "state_key": "", "sender": alice, "event_id": "$enc", "content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}}
	f.push(joinRooms(room, []any{enc, member(botUser), member(alice)}))
	h := &fakeHandler{reply: chat.Reply{Title: "All sources healthy"}}
	listen(t, c, h)
	f.waitSince(t, "s1")

	// Alice's client: its own crypto helper and database.
	cli, err := mautrix.NewClient(f.srv.URL, alice, aliceToken)
	if err != nil {
		t.Fatal(err)
	}
	cli.Client, cli.DeviceID = f.srv.Client(), aliceDevice
	aliceDB, err := dbutil.NewWithDB(openStoreDB(t), "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	helper, err := cryptohelper.NewCryptoHelper(cli, []byte("alice-pickle"), aliceDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Init(ctx); err != nil {
		t.Fatalf("alice's crypto helper: %v", err)
	}
	cli.Crypto = helper
	ss := cli.StateStore.(*sqlstatestore.SQLStateStore)
	if err := ss.SetEncryptionEvent(ctx, room, &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []id.UserID{botUser, alice} {
		if err := ss.SetMembership(ctx, room, u, event.MembershipJoin); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := cli.SendMessageEvent(ctx, room, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText, Body: "!itu status"}); err != nil {
		t.Fatalf("alice sends: %v", err)
	}
	asked := f.waitSent(t)
	if asked.Type != "m.room.encrypted" {
		t.Fatalf("alice's command went out as %s, want m.room.encrypted", asked.Type)
	}
	f.push(joinRooms(room, nil, map[string]any{
		"type": "m.room.encrypted", "event_id": asked.EventID, "sender": alice,
		"origin_server_ts": 1767225600000, "content": asked.Content,
	}))

	reply := f.waitSent(t)
	if got := h.requests(); len(got) != 1 || got[0].Text != "status" || got[0].User != alice || got[0].Channel != room {
		t.Fatalf("handler got %+v, want alice's status command", got)
	}
	if reply.Type != "m.room.encrypted" {
		t.Fatalf("reply sent as %s, want m.room.encrypted", reply.Type)
	}

	// Alice's device receives the room key the bot shared, then decrypts.
	var resp mautrix.RespSync
	for _, raw := range f.takeToDevice(alice, aliceDevice) {
		b, _ := json.Marshal(raw)
		var evt event.Event
		if err := json.Unmarshal(b, &evt); err != nil {
			t.Fatal(err)
		}
		resp.ToDevice.Events = append(resp.ToDevice.Events, &evt)
	}
	if len(resp.ToDevice.Events) == 0 {
		t.Fatal("the bot shared no room key with alice's device")
	}
	helper.Machine().ProcessSyncResponse(ctx, &resp, "s9")
	b, _ := json.Marshal(map[string]any{"type": "m.room.encrypted", "event_id": reply.EventID, "sender": botUser, "room_id": room, "origin_server_ts": 1767225600001, "content": reply.Content})
	var evt event.Event
	if err := json.Unmarshal(b, &evt); err != nil {
		t.Fatal(err)
	}
	evt.Type.Class = event.MessageEventType
	if err := evt.Content.ParseRaw(evt.Type); err != nil {
		t.Fatal(err)
	}
	dec, err := helper.Decrypt(ctx, &evt)
	if err != nil {
		t.Fatalf("alice cannot decrypt the reply: %v", err)
	}
	msg := dec.Content.AsMessage()
	if msg.MsgType != event.MsgNotice || msg.Body != "All sources healthy" || msg.RelatesTo.GetReplyTo() != id.EventID(asked.EventID) {
		t.Errorf("decrypted reply %s %q in reply to %q, want a notice answering %s", msg.MsgType, msg.Body, msg.RelatesTo.GetReplyTo(), asked.EventID)
	}
}
