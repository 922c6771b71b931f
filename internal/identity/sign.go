package identity

import (
	"crypto/rsa"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// SignHeaders sets on h the headers WeChat Pay signs its answers and its notifications
// with: Wechatpay-Timestamp, -Nonce, -Signature over "<ts>\n<nonce>\n<body>\n", -Serial
// and -Signature-Type
// (https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay4_1.shtml). now must be
// real time: the SDKs reject a timestamp 5 minutes off theirs, so every answer and every
// re-delivery is signed afresh. serial names the key that signs and that the client
// verifies with: p.CertSerial the certificate's key, anything else the public key, named
// p.PublicKeyID.
func (p *Platform) SignHeaders(h http.Header, serial string, body []byte, now time.Time) error {
	key := p.KeyFor(serial)
	if key == nil {
		key, serial = p.Key, p.PublicKeyID
	}
	ts := now.Unix()
	// Real nonces are 32 upper-case hex digits.
	nonce := strings.ToUpper(wxcrypto.Hex(16))
	sig, err := wxcrypto.Sign(key, wxcrypto.ResponseMessage(ts, nonce, body))
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

// KeyFor is the private key of the platform key serial names, the public-key ID or the
// certificate serial (in any case, as clients write hex either way); nil for anything
// else.
func (p *Platform) KeyFor(serial string) *rsa.PrivateKey {
	switch serial = strings.TrimSpace(serial); {
	case serial == "":
		return nil
	case serial == p.PublicKeyID:
		return p.Key
	case strings.EqualFold(serial, p.CertSerial):
		return p.CertKey
	}
	return nil
}

// SerialFor is the serial that names the platform key a merchant set to mode verifies
// with (pay.PlatformKeyPublicKey or pay.PlatformKeyCertificate).
func (p *Platform) SerialFor(mode string) string {
	if mode == pay.PlatformKeyCertificate {
		return p.CertSerial
	}
	return p.PublicKeyID
}
