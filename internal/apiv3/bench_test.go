package apiv3

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// BenchmarkWrite is a refund answer: encoded, signed with the platform key, written.
func BenchmarkWrite(b *testing.B) {
	key, err := wxcrypto.NewKey()
	if err != nil {
		b.Fatal(err)
	}
	a := &api{platform: &identity.Platform{Key: key, PublicKeyID: "PUB_KEY_ID_0000000000000000000000000000"},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now}
	r := httptest.NewRequest("GET", "/v3/refund/domestic/refunds/R1", nil)
	v := DomesticRefund(fixtureRefund(pay.APIDomestic))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		a.write(w, r, a.platform.PublicKeyID, v)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
