package journal

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/metrics"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// Typical bodies: a v3 refund request and its answer, a v2 refund query and its answer.
const (
	v3Request = `{"amount":{"currency":"CNY","refund":100,"total":1000},"out_refund_no":"R1","transaction_id":"4200000000202506010000000001"}` + "\n"
	v3Answer  = `{"amount":{"currency":"CNY","discount_refund":0,"payer_refund":100,"payer_total":1000,"refund":100,"refund_fee":0,"settlement_refund":100,"settlement_total":1000,"total":1000},"channel":"ORIGINAL","create_time":"2026-06-01T10:00:00+08:00","funds_account":"AVAILABLE","out_refund_no":"R1","out_trade_no":"T1","refund_id":"50000000382019052709732678859","status":"PROCESSING","transaction_id":"4200000000202506010000000001","user_received_account":"支付用户零钱"}`
	v2Request = `<xml><appid><![CDATA[wxd930ea5d5a258f4f]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[ibuaiVcKdpRxkhJA]]></nonce_str><out_refund_no><![CDATA[R1]]></out_refund_no><sign><![CDATA[0CB01533B8C1EF103065174F50BCA001]]></sign></xml>`
	v2Answer  = `<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg><appid><![CDATA[wxd930ea5d5a258f4f]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[5K8264ILTKCH16CQ2502SI8ZNMTM67VS]]></nonce_str><result_code><![CDATA[SUCCESS]]></result_code><transaction_id><![CDATA[4200000000202506010000000001]]></transaction_id><out_trade_no><![CDATA[T1]]></out_trade_no><total_fee>1000</total_fee><settlement_total_fee>1000</settlement_total_fee><fee_type><![CDATA[CNY]]></fee_type><cash_fee>1000</cash_fee><refund_count>1</refund_count><out_refund_no_0><![CDATA[R1]]></out_refund_no_0><refund_id_0><![CDATA[50000000382019052709732678859]]></refund_id_0><refund_channel_0><![CDATA[ORIGINAL]]></refund_channel_0><refund_fee_0>100</refund_fee_0><settlement_refund_fee_0>100</settlement_refund_fee_0><refund_status_0><![CDATA[PROCESSING]]></refund_status_0><refund_account_0><![CDATA[REFUND_SOURCE_UNSETTLED_FUNDS]]></refund_account_0><refund_recv_accout_0><![CDATA[支付用户零钱]]></refund_recv_accout_0><refund_fee>100</refund_fee><cash_refund_fee>100</cash_refund_fee><sign><![CDATA[0CB01533B8C1EF103065174F50BCA001]]></sign></xml>`
)

func BenchmarkBody(b *testing.B) {
	for _, bb := range []struct{ name, body string }{
		{"V3Request", v3Request}, {"V3Answer", v3Answer}, {"V2Request", v2Request}, {"V2Answer", v2Answer},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Body([]byte(bb.body), Limit)
			}
		})
	}
}

// BenchmarkMiddleware is what the listener's middleware costs one v2 request: Common's
// request ID and exchange, metrics, and the journal's capture and masking, against the
// handler alone. The journal's writer runs, on SQLite, so that entries are masked and
// written rather than dropped; ns/op is the request's goroutine only.
func BenchmarkMiddleware(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		ex := jsonapi.ExchangeOf(r)
		ex.API, ex.Mchid = "v2.refundquery", "10000100"
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, v2Answer)
	})
	log := slog.New(slog.DiscardHandler)
	rec := New(storetest.NewSQLite(b), Config{Keep: 1000})
	go rec.Run(b.Context())
	for _, bb := range []struct {
		name string
		h    http.Handler
	}{
		{"Bare", h},
		{"Common", jsonapi.Common(h, log, "")},
		{"Instrument", jsonapi.Common(metrics.New().Instrument(h), log, "")},
		{"All", jsonapi.Common(metrics.New().Instrument(rec.Capture(h)), log, "")},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("POST", "/pay/refundquery", strings.NewReader(v2Request))
				bb.h.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}
