//go:build !goolm

package matrix

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestEncryptionNeedsGoolmBuild(t *testing.T) {
	f := newFakeHomeserver(t)
	_, err := New(context.Background(), Options{
		Homeserver: f.srv.URL, HTTPClient: f.srv.Client(), AccessToken: testToken,
		State: newMemState(), Encryption: true, PickleKey: "pickle-secret", DB: &sql.DB{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err == nil || !strings.Contains(err.Error(), "rebuild with -tags goolm, or set matrix.encryption.enabled: false") {
		t.Errorf("err = %v, want the rebuild hint", err)
	}
}
