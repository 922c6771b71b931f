package apiv2

import (
	"testing"

	"github.com/go-pay/gopay"
	"github.com/go-pay/gopay/wechat"
)

// docParams are the v2 signing guide's example ("安全规范", 签名算法): its key
// 192006250b4c09247ec02edce69f6a2d gives MD5 9A0A8659F005D6984697E2CA0A9CF3B7 and
// HMAC-SHA256 6A9AE165…0DACD6, values published by WeChat Pay and checked here against
// gopay's own functions as well (the client is the judge).
var docParams = map[string]string{
	"appid":       "wxd930ea5d5a258f4f",
	"mch_id":      "10000100",
	"device_info": "1000",
	"body":        "test",
	"nonce_str":   "ibuaiVcKdpRxkhJA",
}

const docKey = "192006250b4c09247ec02edce69f6a2d"

func with(base map[string]string, kv ...string) map[string]string {
	m := make(map[string]string, len(base)+len(kv)/2)
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestSign(t *testing.T) {
	tests := []struct {
		name     string
		params   map[string]string
		signType string
		want     string
	}{
		{"DocMD5", docParams, signMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{"DocHMAC", docParams, signHMAC, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"},
		{"DefaultIsMD5", docParams, "", "9A0A8659F005D6984697E2CA0A9CF3B7"},
		// sign is never covered, and empty values are dropped.
		{"SignLeftOut", with(docParams, "sign", "WHATEVER"), signMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{"EmptyLeftOut", with(docParams, "attach", "", "refund_id", ""), signMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		// sign_type is an ordinary parameter, covered like the others.
		{"SignTypeCovered", with(docParams, "sign_type", signHMAC), signHMAC, ""},
		{"Chinese", with(docParams, "refund_desc", "商品已售完"), signMD5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sign(tt.params, docKey, tt.signType)
			if tt.want != "" && got != tt.want {
				t.Errorf("sign = %s, want %s", got, tt.want)
			}
			bm := make(gopay.BodyMap)
			for k, v := range tt.params {
				bm.Set(k, v)
			}
			bm.Remove("sign")
			if gp := wechat.GetReleaseSign(docKey, tt.signType, bm); got != gp {
				t.Errorf("sign = %s, gopay's GetReleaseSign = %s", got, gp)
			}
		})
	}
	if a, b := sign(docParams, docKey, signHMAC), sign(with(docParams, "sign_type", signHMAC), docKey, signHMAC); a == b {
		t.Error("adding sign_type did not change the signature")
	}
}

func TestVerify(t *testing.T) {
	md5Signed := with(docParams, "sign", "9A0A8659F005D6984697E2CA0A9CF3B7")
	hmacSigned := with(docParams, "sign_type", signHMAC)
	hmacSigned["sign"] = sign(hmacSigned, docKey, signHMAC)
	tests := []struct {
		name   string
		params map[string]string
		want   error
	}{
		{"MD5", md5Signed, nil},
		{"ExplicitMD5", func() map[string]string {
			p := with(docParams, "sign_type", signMD5)
			p["sign"] = sign(p, docKey, signMD5)
			return p
		}(), nil},
		{"HMAC", hmacSigned, nil},
		{"NoSign", docParams, errNoSign},
		{"LowerCase", with(docParams, "sign", "9a0a8659f005d6984697e2ca0a9cf3b7"), errSignMismatch},
		{"Tampered", with(md5Signed, "body", "test2"), errSignMismatch},
		{"AddedParam", with(md5Signed, "offset", "10"), errSignMismatch},
		// An MD5 sign presented as HMAC-SHA256 (sign_type changes the string too).
		{"WrongType", with(md5Signed, "sign_type", signHMAC), errSignMismatch},
		{"UnknownType", with(md5Signed, "sign_type", "SHA1"), errSignType},
		{"OtherKey", with(docParams, "sign", sign(docParams, "00000000000000000000000000000000", signMD5)), errSignMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verify(tt.params, docKey); got != tt.want {
				t.Errorf("verify = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzVerifySign checks, for any parameters, that our signature is gopay's, that a
// signed set verifies, and that changing any value or the key breaks it.
func FuzzVerifySign(f *testing.F) {
	f.Add("out_trade_no", "1415757673", "refund_desc", "商品已售完", docKey, false)
	f.Add("offset", "24", "sign_type", "HMAC-SHA256", docKey, true)
	f.Add("a", "", "b", "x=y&key=z", "k", false)
	f.Add("sign", "FAKE", "refund_id", "", "", true)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, key string, hmac bool) {
		st := signMD5
		if hmac {
			st = signHMAC
		}
		params := with(docParams, k1, v1, k2, v2, "sign_type", st)
		delete(params, "sign")
		s := sign(params, key, st)
		bm := make(gopay.BodyMap)
		for k, v := range params {
			bm.Set(k, v)
		}
		if gp := wechat.GetReleaseSign(key, st, bm); s != gp {
			t.Fatalf("sign = %s, gopay's = %s (params %q)", s, gp, params)
		}
		params["sign"] = s
		if err := verify(params, key); err != nil {
			t.Fatalf("verify(own signature) = %v", err)
		}
		if err := verify(with(params, "nonce_str", params["nonce_str"]+"x"), key); err != errSignMismatch {
			t.Fatalf("verify(changed nonce_str) = %v, want mismatch", err)
		}
		if err := verify(params, key+"x"); err != errSignMismatch {
			t.Fatalf("verify(other key) = %v, want mismatch", err)
		}
	})
}
