package wxcrypto_test

import (
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// answerBody is a domestic refund answer of the usual size.
const answerBody = `{"amount":{"currency":"CNY","discount_refund":0,"payer_refund":100,"payer_total":1000,"refund":100,"refund_fee":0,"settlement_refund":100,"settlement_total":1000,"total":1000},"channel":"ORIGINAL","create_time":"2026-06-01T10:00:00+08:00","funds_account":"AVAILABLE","out_refund_no":"R1","out_trade_no":"T1","refund_id":"50000000382019052709732678859","status":"PROCESSING","transaction_id":"4200000000202506010000000001","user_received_account":"支付用户零钱"}`

// BenchmarkSign is what every APIv3 answer costs in RSA: the message and its
// signature.
func BenchmarkSign(b *testing.B) {
	key, _ := mustKeys(b)
	b.ReportAllocs()
	for b.Loop() {
		msg := wxcrypto.ResponseMessage(1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", []byte(answerBody))
		if _, err := wxcrypto.Sign(key, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the check of every APIv3 request's signature.
func BenchmarkVerify(b *testing.B) {
	key, _ := mustKeys(b)
	body := []byte(`{"amount":{"currency":"CNY","refund":100,"total":1000},"out_refund_no":"R1","transaction_id":"4200000000202506010000000001"}` + "\n")
	msg := wxcrypto.RequestMessage("POST", "/v3/refund/domestic/refunds", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", body)
	sig, err := wxcrypto.Sign(key, msg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		msg := wxcrypto.RequestMessage("POST", "/v3/refund/domestic/refunds", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", body)
		if err := wxcrypto.Verify(&key.PublicKey, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// v2Params are a v2 refund query answer's fields.
var v2Params = map[string]string{
	"return_code": "SUCCESS", "return_msg": "OK", "appid": "wxd930ea5d5a258f4f", "mch_id": "10000100",
	"nonce_str": "ibuaiVcKdpRxkhJAibuaiVcKdpRxkhJA", "result_code": "SUCCESS",
	"transaction_id": "4200000000202506010000000001", "out_trade_no": "T1", "total_fee": "1000",
	"settlement_total_fee": "1000", "fee_type": "CNY", "cash_fee": "1000", "refund_count": "1",
	"out_refund_no_0": "R1", "refund_id_0": "50000000382019052709732678859", "refund_channel_0": "ORIGINAL",
	"refund_fee_0": "100", "settlement_refund_fee_0": "100", "refund_status_0": "PROCESSING",
	"refund_account_0": "REFUND_SOURCE_UNSETTLED_FUNDS", "refund_recv_accout_0": "支付用户零钱",
	"refund_fee": "100", "cash_refund_fee": "100",
}

func BenchmarkV2Sign(b *testing.B) {
	for _, hmac := range []bool{false, true} {
		name := "MD5"
		if hmac {
			name = "HMAC-SHA256"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s := wxcrypto.V2Sign(v2Params, "192006250b4c09247ec02edce69f6a2d", hmac); !strings.ContainsAny(s, "0123456789ABCDEF") {
					b.Fatal(s)
				}
			}
		})
	}
}
