package wxcrypto_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/go-pay/gopay/wechat"
	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

const apiv2Key = "fedcba9876543210fedcba9876543210"

// realReqInfo is a req_info WeChat Pay sent in 2017 and its merchant's APIv2 key, as
// go-pay keeps them in wechat/notify_test.go.
const (
	realKey     = "ziR0QKsTUfMOuochC9RfCdmfHECorQAP"
	realReqInfo = "YYwp8C48th0wnQzTqeI+41pflB26v+smFj9z6h9RPBgxTyZyxc+4YNEz7QEgZNWj/6rIb2MfyWMZmCc41CfjKSssoSZPXxOhUayb6KvNSZ1p6frOX1PDWzhyruXK7ouNND+gDsG4yZ0XXzsL4/pYNwLLba/71QrnkJ/BHcByk4EXnglju5DLup9pJQSnTxjomI9Rxu57m9jg5lLQFxMWXyeASZJNvof0ulnHlWJswS4OxKOkmW7VEyKyLGV6npoOm03Qsx2wkRxLsSa9gPpg4hdaReeUqh1FMbm7aWjyrVYT/MEZWg98p4GomEIYvz34XfDncTezX4bf/ZiSLXt79aE1/YTZrYfymXeCrGjlbe0rg/T2ezJHAC870u2vsVbY1/KcE2A443N+DEnAziXlBQ1AeWq3Rqk/O6/TMM0lomzgctAOiAMg+bh5+Gu1ubA9O3E+vehULydD5qx2o6i3+qA9ORbH415NyRrQdeFq5vmCiRikp5xYptWiGZA0tkoaLKMPQ4ndE5gWHqiBbGPfULZWokI+QjjhhBmwgbd6J0VqpRorwOuzC/BHdkP72DCdNcm7IDUpggnzBIy0+seWIkcHEryKjge3YDHpJeQCqrAH0CgxXHDt1xtbQbST1VqFyuhPhUjDXMXrknrGPN/oE1t0rLRq+78cI+k8xe5E6seeUXQsEe8r3358mpcDYSmXWSXVZxK6er9EF98APqHwcndyEJD2YyCh/mMVhERuX+7kjlRXSiNUWa/Cv/XAKFQuvUYA5ea2eYWtPRHa4DpyuF1SNsaqVKfgqKXZrJHfAgslVpSVqUpX4zkKszHF4kwMZO3M7J1P94Mxa7Tm9mTOJePOoHPXeEB+m9rX6pSfoi3mJDQ5inJ+Vc4gOkg/Wd/lqiy6TTyP/dHDN6/v+AuJx5AXBo/2NDD3fWhHjkqEKIuARr2ClZt9ZRQO4HkXdZo7CN06sGCHk48Tg8PmxnxKcMZm7Aoquv5yMIM2gWSWIRJhwJ8cUpafIHc+GesDlbF6Zbt+/KXkafJAQq2RklEN+WvZ/zFz113EPgWPjp16TwBoziq96MMekvWKY/vdhjol8VFtGH9F61Oy1Xwf6DJtPw=="
)

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Ensure EncryptECB is AES-256 in ECB mode: NIST SP 800-38A F.1.5, then one block of
// PKCS#7 padding since the plaintext fills its last block.
func TestEncryptECB_NIST(t *testing.T) {
	key := mustHex(t, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
	plain := mustHex(t, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	want := "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7"
	got := wxcrypto.EncryptECB(key, plain)
	if len(got) != len(plain)+16 || hex.EncodeToString(got[:len(plain)]) != want {
		t.Errorf("EncryptECB(F.1.5) = %x, want %s + one padding block", got, want)
	}
	back, err := wxcrypto.DecryptECB(key, got)
	if err != nil || !bytes.Equal(back, plain) {
		t.Errorf("DecryptECB(EncryptECB(p)) = %x, %v, want %x", back, err, plain)
	}
}

// Ensure a real req_info decrypts to what go-pay reads from it, and that encrypting that
// plaintext again gives WeChat Pay's own bytes: the key, the mode and the padding are
// WeChat's, not only go-pay's.
func TestECB_RealNotification(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(realReqInfo)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := wxcrypto.DecryptECB(wxcrypto.V2NotifyKey(realKey), raw)
	if err != nil {
		t.Fatalf("DecryptECB(real req_info): %v", err)
	}
	var got wechat.RefundNotify
	if err := xml.Unmarshal(plain, &got); err != nil {
		t.Fatalf("xml.Unmarshal(%q): %v", plain, err)
	}
	want, err := wechat.DecryptRefundNotifyReqInfo(realReqInfo, realKey)
	if err != nil {
		t.Fatalf("wechat.DecryptRefundNotifyReqInfo: %v", err)
	}
	if diff := cmp.Diff(*want, got); diff != "" {
		t.Errorf("DecryptECB(real req_info) mismatch (-go-pay +ours):\n%s", diff)
	}
	if !bytes.HasPrefix(plain, []byte("<root>")) || want.RefundStatus != "SUCCESS" {
		t.Errorf("DecryptECB(real req_info) = %q, want a <root> document of a SUCCESS refund", plain)
	}
	if again := wxcrypto.EncryptECB(wxcrypto.V2NotifyKey(realKey), plain); !bytes.Equal(again, raw) {
		t.Errorf("EncryptECB(DecryptECB(real)) differs from WeChat Pay's ciphertext")
	}
}

// Ensure go-pay decrypts what EncryptECB writes for every padding length, a whole
// block of padding included.
func TestEncryptECB_GoPayDecrypts(t *testing.T) {
	key := wxcrypto.V2NotifyKey(apiv2Key)
	for n := range 2 * 16 {
		no := strings.Repeat("R", n)
		plain := "<root><out_refund_no><![CDATA[" + no + "]]></out_refund_no></root>"
		reqInfo := base64.StdEncoding.EncodeToString(wxcrypto.EncryptECB(key, []byte(plain)))
		got, err := wechat.DecryptRefundNotifyReqInfo(reqInfo, apiv2Key)
		if err != nil || got.OutRefundNo != no {
			t.Errorf("plaintext of %d bytes: wechat.DecryptRefundNotifyReqInfo = %+v, %v, want out_refund_no %q", len(plain), got, err, no)
		}
	}
}

func TestDecryptECB_Errors(t *testing.T) {
	key := wxcrypto.V2NotifyKey(apiv2Key)
	good := wxcrypto.EncryptECB(key, []byte("<root></root>"))
	// lastBlock is a ciphertext whose only block decrypts to plain as it is, so its last
	// byte is the padding DecryptECB checks.
	lastBlock := func(plain string) []byte { return wxcrypto.EncryptECB(key, []byte(plain))[:16] }
	tests := []struct {
		name       string
		key        []byte
		ciphertext []byte
	}{
		{"WrongKey", wxcrypto.V2NotifyKey("0123456789abcdef0123456789abcdef"), good},
		{"ShortKey", key[:31], good},
		{"Empty", key, nil},
		{"NotFullBlocks", key, good[:len(good)-1]},
		{"PaddingZero", key, lastBlock("aaaaaaaaaaaaaaa\x00")},
		{"PaddingPastBlock", key, lastBlock("aaaaaaaaaaaaaaa\x11")},
		{"PaddingInconsistent", key, lastBlock("aaaaaaaaaaaaa\x01\x03\x03")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := wxcrypto.DecryptECB(tt.key, tt.ciphertext); err == nil {
				t.Errorf("DecryptECB = %q, nil, want an error", got)
			}
		})
	}
	if got, err := wxcrypto.DecryptECB(key, lastBlock("aaaaaaaaaaaaa\x03\x03\x03")); err != nil || string(got) != "aaaaaaaaaaaaa" {
		t.Errorf("DecryptECB(3 bytes of padding) = %q, %v, want %q", got, err, "aaaaaaaaaaaaa")
	}
}

func TestEncryptECB_BadKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("EncryptECB(31-byte key) did not panic")
		}
	}()
	wxcrypto.EncryptECB(make([]byte, 31), []byte("x"))
}

func TestV2NotifyKey(t *testing.T) {
	tests := []struct {
		apiv2Key string
		want     string
	}{
		{"", "d41d8cd98f00b204e9800998ecf8427e"},
		{"abc", "900150983cd24fb0d6963f7d28e17f72"},
		{realKey, "a1fdc4d1da9fb443b1091d34bcee9493"},
	}
	for _, tt := range tests {
		if got := string(wxcrypto.V2NotifyKey(tt.apiv2Key)); got != tt.want {
			t.Errorf("V2NotifyKey(%q) = %q, want %q", tt.apiv2Key, got, tt.want)
		}
	}
}

func FuzzDecryptECB(f *testing.F) {
	key := wxcrypto.V2NotifyKey(apiv2Key)
	f.Add(wxcrypto.EncryptECB(key, []byte("<root></root>")))
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Add(make([]byte, 17))
	f.Fuzz(func(t *testing.T, data []byte) {
		wxcrypto.DecryptECB(key, data) // must not panic, whatever the bytes

		got, err := wxcrypto.DecryptECB(key, wxcrypto.EncryptECB(key, data))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("DecryptECB(EncryptECB(%x)) = %x, %v", data, got, err)
		}
	})
}
