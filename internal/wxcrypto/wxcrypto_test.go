package wxcrypto_test

import (
	"crypto/rsa"
	"encoding/base64"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

const apiv3Key = "0123456789abcdef0123456789abcdef"

// keys are generated once: RSA-2048 generation takes most of a test's time otherwise.
var keys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := wxcrypto.NewKey()
		if err != nil {
			return ks, err
		}
		ks[i] = k
	}
	return ks, nil
})

// mustKeys returns two different RSA-2048 keys.
func mustKeys(tb testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	tb.Helper()
	ks, err := keys()
	if err != nil {
		tb.Fatalf("NewKey: %v", err)
	}
	return ks[0], ks[1]
}

func TestSignVerify(t *testing.T) {
	key, other := mustKeys(t)
	msg := wxcrypto.RequestMessage("POST", "/v3/refund/domestic/refunds", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", []byte(`{"out_refund_no":"R1"}`+"\n"))
	sig, err := wxcrypto.Sign(key, msg)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if err := wxcrypto.Verify(&key.PublicKey, msg, sig); err != nil {
		t.Errorf("Verify(Sign(msg)) = %v, want nil", err)
	}
	// PKCS#1 v1.5 is deterministic: the SDK signs the same message to the same bytes.
	sdkSig, err := utils.SignSHA256WithRSA(msg, key)
	if err != nil {
		t.Fatalf("utils.SignSHA256WithRSA: %v", err)
	}
	if sig != sdkSig {
		t.Errorf("Sign = %q, wechatpay-go signs %q", sig, sdkSig)
	}

	raw, _ := base64.StdEncoding.DecodeString(sig)
	raw[len(raw)/2] ^= 1
	flipped := base64.StdEncoding.EncodeToString(raw)
	otherSig, err := wxcrypto.Sign(other, msg)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	tests := []struct {
		name string
		pub  *rsa.PublicKey
		msg  string
		sig  string
	}{
		{"OtherMessage", &key.PublicKey, strings.Replace(msg, "R1", "R2", 1), sig},
		{"BodyWithoutNewline", &key.PublicKey, strings.Replace(msg, "}\n", "}", 1), sig},
		{"FlippedBit", &key.PublicKey, msg, flipped},
		{"OtherKeysSignature", &key.PublicKey, msg, otherSig},
		{"OtherPublicKey", &other.PublicKey, msg, sig},
		{"NotBase64", &key.PublicKey, msg, "not base64!"},
		{"Empty", &key.PublicKey, msg, ""},
		{"Truncated", &key.PublicKey, msg, sig[:len(sig)-4]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := wxcrypto.Verify(tt.pub, tt.msg, tt.sig); err == nil {
				t.Errorf("Verify(%s) = nil, want an error", tt.name)
			}
		})
	}
}

func TestRequestMessage(t *testing.T) {
	tests := []struct {
		name   string
		method string
		url    string
		body   string
		want   string
	}{
		{
			name: "POST", method: "POST", url: "/v3/refund/domestic/refunds", body: `{"out_refund_no":"R1"}`,
			want: "POST\n/v3/refund/domestic/refunds\n1554208460\nNONCE\n{\"out_refund_no\":\"R1\"}\n",
		},
		// wechatpay-go's json.Encoder newline is part of the body, so the message ends in two.
		{
			name: "EncoderNewline", method: "POST", url: "/v3/refund/domestic/refunds", body: "{}\n",
			want: "POST\n/v3/refund/domestic/refunds\n1554208460\nNONCE\n{}\n\n",
		},
		{
			name: "GET", method: "GET", url: "/v3/refund/domestic/refunds/R1%7C%2Ax?sub_mchid=1900000109",
			want: "GET\n/v3/refund/domestic/refunds/R1%7C%2Ax?sub_mchid=1900000109\n1554208460\nNONCE\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wxcrypto.RequestMessage(tt.method, tt.url, 1554208460, "NONCE", []byte(tt.body))
			if got != tt.want {
				t.Errorf("RequestMessage(%s, %s, %q) = %q, want %q", tt.method, tt.url, tt.body, got, tt.want)
			}
		})
	}
}

func TestResponseMessage(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"Body", []byte(`{"refund_id":"1"}`), "1554208460\nNONCE\n{\"refund_id\":\"1\"}\n"},
		// A 204 is signed over the empty body: the message still has three lines.
		{"NoContent", nil, "1554208460\nNONCE\n\n"},
		{"EmptyBody", []byte{}, "1554208460\nNONCE\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wxcrypto.ResponseMessage(1554208460, "NONCE", tt.body); got != tt.want {
				t.Errorf("ResponseMessage(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

var nonceAlphabet = regexp.MustCompile(`^[0-9A-Za-z]{12}$`)

func TestEncryptDecrypt(t *testing.T) {
	plain := []byte(`{"mchid":"1900000100","out_refund_no":"R1","refund_status":"SUCCESS"}`)
	res, err := wxcrypto.Encrypt(apiv3Key, "refund", plain)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	if res.Algorithm != "AEAD_AES_256_GCM" || res.AssociatedData != "refund" || !nonceAlphabet.MatchString(res.Nonce) {
		t.Errorf("Encrypt = algorithm %q associated_data %q nonce %q, want AEAD_AES_256_GCM, refund, 12 of [0-9A-Za-z]",
			res.Algorithm, res.AssociatedData, res.Nonce)
	}
	if sealed, err := base64.StdEncoding.DecodeString(res.Ciphertext); err != nil || len(sealed) != len(plain)+16 {
		t.Errorf("Encrypt ciphertext = %d bytes (%v), want %d: the plaintext and a 16-byte tag", len(sealed), err, len(plain)+16)
	}
	got, err := wxcrypto.Decrypt(apiv3Key, res)
	if err != nil || string(got) != string(plain) {
		t.Errorf("Decrypt(Encrypt(p)) = %q, %v, want %q", got, err, plain)
	}
	// What a merchant's wechatpay-go does with a notification resource.
	sdk, err := utils.DecryptAES256GCM(apiv3Key, res.AssociatedData, res.Nonce, res.Ciphertext)
	if err != nil || sdk != string(plain) {
		t.Errorf("utils.DecryptAES256GCM = %q, %v, want %q", sdk, err, plain)
	}
	again, err := wxcrypto.Encrypt(apiv3Key, "refund", plain)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	if again.Nonce == res.Nonce || again.Ciphertext == res.Ciphertext {
		t.Errorf("two Encrypts share nonce %q or ciphertext", res.Nonce)
	}

	empty, err := wxcrypto.Encrypt(apiv3Key, "", nil)
	if err != nil {
		t.Fatalf("Encrypt(empty): %v", err)
	}
	if got, err := wxcrypto.Decrypt(apiv3Key, empty); err != nil || len(got) != 0 {
		t.Errorf("Decrypt(Encrypt(empty)) = %q, %v, want empty", got, err)
	}
}

func TestDecrypt_Errors(t *testing.T) {
	res, err := wxcrypto.Encrypt(apiv3Key, "certificate", []byte("secret"))
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	sealed, _ := base64.StdEncoding.DecodeString(res.Ciphertext)
	sealed[0] ^= 1
	tampered := base64.StdEncoding.EncodeToString(sealed)
	tests := []struct {
		name string
		key  string
		edit func(r *wxcrypto.Resource)
	}{
		{"WrongKey", "fedcba9876543210fedcba9876543210", func(r *wxcrypto.Resource) {}},
		{"ShortKey", apiv3Key[:31], func(r *wxcrypto.Resource) {}},
		{"LongKey", apiv3Key + "0", func(r *wxcrypto.Resource) {}},
		{"WrongAssociatedData", apiv3Key, func(r *wxcrypto.Resource) { r.AssociatedData = "transaction" }},
		{"WrongNonce", apiv3Key, func(r *wxcrypto.Resource) { r.Nonce = strings.Repeat("0", 12) }},
		{"ShortNonce", apiv3Key, func(r *wxcrypto.Resource) { r.Nonce = r.Nonce[:11] }},
		{"LongNonce", apiv3Key, func(r *wxcrypto.Resource) { r.Nonce += "0" }},
		{"Tampered", apiv3Key, func(r *wxcrypto.Resource) { r.Ciphertext = tampered }},
		{"NotBase64", apiv3Key, func(r *wxcrypto.Resource) { r.Ciphertext = "%%%" }},
		{"Empty", apiv3Key, func(r *wxcrypto.Resource) { r.Ciphertext = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := res
			tt.edit(&r)
			if got, err := wxcrypto.Decrypt(tt.key, r); err == nil {
				t.Errorf("Decrypt(%s) = %q, nil, want an error", tt.name, got)
			}
		})
	}
	if _, err := wxcrypto.Encrypt("short", "", []byte("x")); err == nil {
		t.Errorf("Encrypt(5-byte key) = nil error, want an error")
	}
}

func TestOAEP(t *testing.T) {
	key, other := mustKeys(t)
	const name = "张三"
	ct, err := wxcrypto.EncryptOAEP(&key.PublicKey, name)
	if err != nil {
		t.Fatalf("EncryptOAEP: %v", err)
	}
	if got, err := wxcrypto.DecryptOAEP(key, ct); err != nil || got != name {
		t.Errorf("DecryptOAEP(EncryptOAEP(%q)) = %q, %v", name, got, err)
	}
	// The SDKs encrypt sensitive fields with the same OAEP-SHA1; the server must read them.
	sdkCT, err := utils.EncryptOAEPWithPublicKey(name, &key.PublicKey)
	if err != nil {
		t.Fatalf("utils.EncryptOAEPWithPublicKey: %v", err)
	}
	if got, err := wxcrypto.DecryptOAEP(key, sdkCT); err != nil || got != name {
		t.Errorf("DecryptOAEP(SDK ciphertext) = %q, %v, want %q", got, err, name)
	}
	if sdk, err := utils.DecryptOAEP(ct, key); err != nil || sdk != name {
		t.Errorf("utils.DecryptOAEP(EncryptOAEP(%q)) = %q, %v", name, sdk, err)
	}
	if _, err := wxcrypto.DecryptOAEP(other, ct); err == nil {
		t.Errorf("DecryptOAEP with another key = nil error, want an error")
	}
	if _, err := wxcrypto.DecryptOAEP(key, "not base64!"); err == nil {
		t.Errorf("DecryptOAEP(not base64) = nil error, want an error")
	}
}

var serialPattern = regexp.MustCompile(`^[0-9A-F]{40}$`)

func TestSelfSign(t *testing.T) {
	key, _ := mustKeys(t)
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	seen := make(map[string]bool)
	for range 20 {
		cert, pemBytes, err := wxcrypto.SelfSign(key, "1900000109", "tuikuan", now, 5)
		if err != nil {
			t.Fatalf("SelfSign: %v", err)
		}
		serial := wxcrypto.SerialHex(cert)
		if !serialPattern.MatchString(serial) {
			t.Errorf("SerialHex = %q, want 40 upper-case hex digits", serial)
		}
		if sdk := utils.GetCertificateSerialNumber(*cert); sdk != serial {
			t.Errorf("SerialHex = %q, wechatpay-go computes %q", serial, sdk)
		}
		if seen[serial] {
			t.Errorf("SelfSign serial %s repeated", serial)
		}
		seen[serial] = true
		if !cert.NotBefore.Before(now) || !cert.NotAfter.Equal(now.AddDate(5, 0, 0)) {
			t.Errorf("SelfSign validity %v – %v, want from before %v to %v", cert.NotBefore, cert.NotAfter, now, now.AddDate(5, 0, 0))
		}
		parsed, err := wxcrypto.ParseCertificate(pemBytes)
		if err != nil || wxcrypto.SerialHex(parsed) != serial {
			t.Errorf("ParseCertificate(SelfSign PEM) = %v, want serial %s", err, serial)
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	res, err := wxcrypto.Encrypt(apiv3Key, "refund", []byte(`{"refund_status":"SUCCESS"}`))
	if err != nil {
		f.Fatalf("Encrypt: %v", err)
	}
	f.Add(apiv3Key, res.Ciphertext, res.AssociatedData, res.Nonce)
	f.Add(apiv3Key, res.Ciphertext, "", res.Nonce)
	f.Add(apiv3Key, "", "", "")
	f.Add(apiv3Key[:16], res.Ciphertext, res.AssociatedData, res.Nonce)
	f.Add(apiv3Key, "AAAA", "x", "0123456789ab")
	f.Add(apiv3Key, res.Ciphertext, res.AssociatedData, "头12345678") // 12 bytes, 10 runes
	f.Fuzz(func(t *testing.T, key, ciphertext, associatedData, nonce string) {
		r := wxcrypto.Resource{Algorithm: "AEAD_AES_256_GCM", Ciphertext: ciphertext, AssociatedData: associatedData, Nonce: nonce}
		wxcrypto.Decrypt(key, r) // must not panic, whatever the fields

		// Whatever the plaintext and associated data, they come back as sealed.
		sealed, err := wxcrypto.Encrypt(apiv3Key, associatedData, []byte(ciphertext))
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		got, err := wxcrypto.Decrypt(apiv3Key, sealed)
		if err != nil || string(got) != ciphertext {
			t.Errorf("Decrypt(Encrypt(%q, %q)) = %q, %v", associatedData, ciphertext, got, err)
		}
	})
}

func BenchmarkEncrypt(b *testing.B) {
	plain := []byte(strings.Repeat(`{"refund_status":"SUCCESS"}`, 20))
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := wxcrypto.Encrypt(apiv3Key, "refund", plain); err != nil {
			b.Fatal(err)
		}
	}
}
