package apiv2

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// queryBody is a refund query as gopay sends it, signed with MD5 by direct's key.
func queryBody(b *testing.B, params map[string]string) []byte {
	b.Helper()
	r := request(direct, params)
	body := make([]byte, r.ContentLength)
	if _, err := r.Body.Read(body); err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkDecodeXML(b *testing.B) {
	body := queryBody(b, map[string]string{"out_refund_no": "R1"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeXML(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, st := range []string{signMD5, signHMAC} {
		b.Run(st, func(b *testing.B) {
			params, err := decodeXML(queryBody(b, map[string]string{"out_refund_no": "R1", "sign_type": st}))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := verify(params, direct.APIv2Key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnswer is a refund query's answer from the refund: its fields, signed, encoded.
func BenchmarkAnswer(b *testing.B) {
	a, c, r := seedAPI(), seedCall(signMD5, map[string]string{"out_refund_no": "R1"}), seedRefund()
	b.ReportAllocs()
	for b.Loop() {
		a.result(c, endpoint.V2Query, refundsReply([]*pay.Refund{r}, -1), nil).encode()
	}
}

// BenchmarkRefundQuery is one refund query through the handler, on a real SQLite store:
// decode, merchant, verify, the refund read, answer, sign, encode.
func BenchmarkRefundQuery(b *testing.B) {
	f := newFixture(b)
	// No rate limit: the query page's 300 a second would answer most of the loop.
	off := pay.RateOff
	if _, err := f.svc.Merchants.UpdateSettings(b.Context(), direct.Mchid, pay.MerchantSettings{RateProfile: &off}); err != nil {
		b.Fatal(err)
	}
	f.apply(b, direct, "", f.pay(b, direct, 1000), "R1", 100)
	body := string(queryBody(b, map[string]string{"out_refund_no": "R1"}))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, rawRequest("POST", "/pay/refundquery", body))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<result_code><![CDATA[SUCCESS]]>") {
			b.Fatalf("status %d, body %s", w.Code, w.Body)
		}
	}
}
