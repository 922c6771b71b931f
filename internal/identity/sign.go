package identity

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// SignHeaders sets on h the headers WeChat Pay signs its answers and its notifications
// with (protocol.md §2.1–2.2, §4.2): Wechatpay-Timestamp, -Nonce, -Signature over
// "<ts>\n<nonce>\n<body>\n", -Serial and -Signature-Type. now must be real time: the SDKs
// reject a timestamp 5 minutes off theirs (§0.2), so every answer and every re-delivery
// is signed afresh. serial names the key to verify with: p.PublicKeyID, or p.CertSerial
// for a client in certificate mode (§0.3).
func (p *Platform) SignHeaders(h http.Header, serial string, body []byte, now time.Time) error {
	ts := now.Unix()
	// Real nonces are 32 upper-case hex digits (doc 4015407582, §2.1).
	nonce := strings.ToUpper(wxcrypto.Hex(16))
	sig, err := wxcrypto.Sign(p.Key, wxcrypto.ResponseMessage(ts, nonce, body))
	if err != nil {
		return err
	}
	h.Set("Wechatpay-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", serial)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	return nil
}
