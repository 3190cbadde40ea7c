package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestPasswordLoginIsKeptAndReused(t *testing.T) {
	f := newFakeHomeserver(t)
	state := newMemState()
	password := func(o *Options) { o.AccessToken, o.Password, o.UserID = "", testPassword, botUser }

	first, _ := newTestClient(t, f, state, password)
	if n := f.loginCount(); n != 1 {
		t.Fatalf("%d logins, want 1", n)
	}
	device, token := state.kv[stateDeviceID], state.kv[stateAccessToken]
	if device == "" || token == "" || state.kv[stateUserID] != botUser {
		t.Fatalf("login not kept: %v", state.kv)
	}
	if first.cli.DeviceID.String() != device {
		t.Errorf("client device %s, kept %s", first.cli.DeviceID, device)
	}

	second, _ := newTestClient(t, f, state, password)
	if n := f.loginCount(); n != 1 {
		t.Errorf("%d logins after the restart, want still 1 (the kept token reused)", n)
	}
	if second.cli.DeviceID.String() != device || second.cli.AccessToken != token {
		t.Errorf("restart uses device %s, want the kept %s", second.cli.DeviceID, device)
	}

	// The token was logged out elsewhere: log in again, on the same device
	// so that encryption keys stay valid.
	f.mu.Lock()
	delete(f.tokens, token)
	f.mu.Unlock()
	third, _ := newTestClient(t, f, state, password)
	if n := f.loginCount(); n != 2 {
		t.Fatalf("%d logins, want 2 after the token was revoked", n)
	}
	if got := f.login(1)["device_id"]; got != device {
		t.Errorf("second login asked for device %v, want the kept %s", got, device)
	}
	if third.cli.AccessToken == token || state.kv[stateAccessToken] != third.cli.AccessToken {
		t.Errorf("new token not kept: state %q, client %q", state.kv[stateAccessToken], third.cli.AccessToken)
	}
}

func TestNewErrors(t *testing.T) {
	f := newFakeHomeserver(t)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "no credentials", opts: Options{Homeserver: f.srv.URL, State: newMemState()}, want: "set MATRIX_ACCESS_TOKEN"},
		{name: "no homeserver", opts: Options{AccessToken: testToken, State: newMemState()}, want: "set matrix.homeserver"},
		{name: "password without user", opts: Options{Homeserver: f.srv.URL, Password: testPassword, State: newMemState()}, want: "set matrix.user_id"},
		{name: "bad user id", opts: Options{Homeserver: f.srv.URL, Password: testPassword, UserID: "ituwatch", State: newMemState()}, want: "is not a Matrix user id"},
		{name: "revoked token", opts: Options{Homeserver: f.srv.URL, AccessToken: "syt_revoked_secret", State: newMemState()}, want: "does not accept the access token"},
		{name: "wrong password", opts: Options{Homeserver: f.srv.URL, Password: "wrong-secret", UserID: botUser, State: newMemState()}, want: "check matrix.user_id and MATRIX_PASSWORD"},
		{name: "token of another account", opts: Options{Homeserver: f.srv.URL, AccessToken: testToken, UserID: "@other:example.org", State: newMemState()}, want: "belongs to @ituwatch:example.org"},
		{name: "encryption without pickle key", opts: Options{Homeserver: f.srv.URL, AccessToken: testToken, State: newMemState(), Encryption: true}, want: "MATRIX_PICKLE_KEY"},
		{name: "unreachable", opts: Options{Homeserver: "http://127.0.0.1:1", AccessToken: testToken, State: newMemState()}, want: "cannot reach the homeserver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			if tt.opts.Homeserver == f.srv.URL {
				tt.opts.HTTPClient = f.srv.Client()
			}
			_, err := New(context.Background(), tt.opts)
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			for _, secret := range []string{testToken, testPassword, "syt_revoked_secret", "wrong-secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks a secret: %v", err)
				}
			}
		})
	}
}

func TestScrub(t *testing.T) {
	c := &Client{secrets: []string{testToken}}
	err := c.scrub(io.ErrUnexpectedEOF)
	if err != io.ErrUnexpectedEOF {
		t.Errorf("clean error changed: %v", err)
	}
	err = c.scrub(fmt.Errorf("GET /x?access_token=%s: %w", testToken, io.EOF))
	if strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("scrub = %q", err)
	}
	if !errors.Is(err, io.EOF) {
		t.Errorf("scrub lost the error chain: %v", err)
	}
}
