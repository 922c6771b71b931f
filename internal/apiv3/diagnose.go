package apiv3

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// wechatHost is the host the real API answers on, the prefix of a full URL signed by
// mistake.
const wechatHost = "https://api.mch.weixin.qq.com"

// diagnose explains a refused signature for the journal: the string-to-sign beside what
// the header carried, and the likely cause in words (docs/wire.md#signature-diagnosis).
// It runs only once a request has been refused, so a good request pays nothing for it.
func (a *api) diagnose(r *http.Request, body []byte, se *signError, sc *signCheck) *jsonapi.Diagnosis {
	now := sc.now
	if now.IsZero() {
		now = a.now()
	}
	d := &jsonapi.Diagnosis{
		Method:     r.Method,
		URL:        se.url,
		Timestamp:  sc.auth.Timestamp,
		ServerTime: now.Unix(),
		Nonce:      sc.auth.Nonce,
		Mchid:      sc.auth.Mchid,
		Serial:     sc.auth.Serial,
		SignLength: len(sc.auth.Signature),
		Signed:     truncateSigned(se.signed),
		BodyLength: len(body),
		Tried:      sc.targets[1:],
	}
	if sc.merchant != nil {
		d.CertSerial = sc.merchant.CertSerial
	}
	switch se.reason {
	case refusedMalformed:
		d.Reason, d.Cause = "malformed_header", "the Authorization header is malformed"
		if sc.authErr != nil {
			d.Cause = sc.authErr.cause
		}
	case refusedMchid:
		d.Reason, d.Cause = "unknown_mchid", fmt.Sprintf("mchid %s is not a merchant of this server", sc.auth.Mchid)
	case refusedSerial:
		d.Reason, d.Cause = "unknown_serial", a.serialCause(sc.auth.Serial, sc.merchant)
	case refusedExpired:
		d.Reason = "certificate_expired"
		d.Cause = fmt.Sprintf("merchant %s's API certificate %s expired at %s, %s ago: apply for a new certificate and sign with its key",
			sc.merchant.Mchid, sc.merchant.CertSerial, sc.cert.NotAfter.Format(time.RFC3339), now.Sub(sc.cert.NotAfter).Round(time.Second))
	case refusedTimestampNaN:
		d.Reason = "malformed_header"
		d.Cause = fmt.Sprintf("timestamp %q is not a whole number of seconds since 1970-01-01 UTC", capped(sc.auth.Timestamp, 40))
	case refusedStale:
		d.Reason, d.Cause = "clock_skew", skewCause(now.Unix()-sc.ts)
	case refusedSign:
		d.Reason, d.Cause, d.Matched = a.signatureCause(r, body, sc)
	case refusedNonce:
		d.Reason = "nonce_replayed"
		d.Cause = fmt.Sprintf("nonce_str %s was already used by merchant %s within the last %v: every request, a retry too, needs a fresh nonce and a new signature",
			sc.auth.Nonce, sc.merchant.Mchid, nonceKeep)
	}
	return d
}

// serialCause names what an unknown serial_no is, when it is something the client had
// at hand: the platform's serial or key ID, or the merchant's serial written another way.
func (a *api) serialCause(serial string, m *pay.Merchant) string {
	own := fmt.Sprintf("serial_no must name merchant %s's API certificate, %s", m.Mchid, m.CertSerial)
	decimal := ""
	if n, ok := new(big.Int).SetString(m.CertSerial, 16); ok {
		decimal = n.String()
	}
	switch {
	case strings.EqualFold(serial, a.platform.CertSerial):
		return fmt.Sprintf("serial_no %s is the serial of WeChat Pay's platform certificate, the one that verifies WeChat Pay's answers; %s", serial, own)
	case serial == a.platform.PublicKeyID:
		return fmt.Sprintf("serial_no %s is the ID of the WeChat Pay public key (微信支付公钥), which belongs in the Wechatpay-Serial header; %s", serial, own)
	case strings.EqualFold(serial, strings.TrimLeft(m.CertSerial, "0")):
		return fmt.Sprintf("serial_no %s is the certificate serial without its leading zeros; %s", serial, own)
	case serial == decimal:
		return fmt.Sprintf("serial_no %s is the certificate serial in decimal; it is written in hex: %s", serial, own)
	case m.FormerCertSerial != "":
		return fmt.Sprintf("serial_no %s is neither the serial of merchant %s's API certificate, %s, nor of its former one, %s", serial, m.Mchid, m.CertSerial, m.FormerCertSerial)
	}
	return fmt.Sprintf("serial_no %s is not the serial of merchant %s's API certificate, %s", serial, m.Mchid, m.CertSerial)
}

// skewCause says how far a timestamp is from the server's time, d = server − request
// seconds, and which way.
func skewCause(d int64) string {
	if d < -1e9 {
		return fmt.Sprintf("the timestamp is %d seconds ahead of the server's clock: it looks like milliseconds; WeChat Pay wants seconds since 1970", -d)
	}
	if d < 0 {
		return fmt.Sprintf("the timestamp is %d seconds (%v) ahead of the server's clock: the client's clock is fast; the limit is %d seconds either way",
			-d, time.Duration(-d)*time.Second, signWindow)
	}
	return fmt.Sprintf("the timestamp is %d seconds (%v) behind the server's clock: the client's clock is slow, or the request was signed long before it was sent (a retry must be signed again); the limit is %d seconds either way",
		d, time.Duration(d)*time.Second, signWindow)
}

// signatureCause tells a signature made with another key from one made with the
// merchant's key over another message. The public operation of RSA on a PKCS#1 v1.5
// signature gives back the encoded digest, well-formed only under the key that signed:
// well-formed means the right key, and the digest then names the message when it is one
// of the usual mistakes (signMistakes).
func (a *api) signatureCause(r *http.Request, body []byte, sc *signCheck) (reason, cause, matched string) {
	serial := sc.merchant.CertSerial
	sig, err := base64.StdEncoding.DecodeString(sc.auth.Signature)
	if err != nil {
		cause = "the signature is not standard base64 (RFC 4648 alphabet with + and /, = padding)"
		if _, e := base64.URLEncoding.DecodeString(sc.auth.Signature); e == nil {
			cause = "the signature is URL-safe base64 (- and _); WeChat Pay wants the standard alphabet (+ and /)"
		} else if _, e := base64.RawStdEncoding.DecodeString(sc.auth.Signature); e == nil {
			cause = "the signature's base64 lacks its = padding"
		}
		return "malformed_header", cause, ""
	}
	if len(sig) != sc.pub.Size() {
		return "wrong_key", fmt.Sprintf("the signature is %d bytes; one made with the %d-bit key of certificate %s is %d bytes: it was made with another key, or cut short",
			len(sig), sc.pub.N.BitLen(), serial, sc.pub.Size()), ""
	}
	digest, ok := wxcrypto.RecoverDigest(sc.pub, sig)
	if !ok {
		return "wrong_key", fmt.Sprintf("the request was signed with a key that is not the private key of certificate %s: check that the key the client loads (apiclient_key.pem) is the one of that certificate", serial), ""
	}
	for _, m := range signMistakes(r, body, sc) {
		if sum := sha256.Sum256([]byte(m.message)); bytes.Equal(sum[:], digest) {
			return m.reason, m.cause, truncateSigned(m.message)
		}
	}
	return "message_mismatch", "the signature was made with the right key but over a different message: compare the string to sign below with yours (most often the body was re-serialised after signing, or the URL differs); a different timestamp or nonce cannot be told apart from a different body", ""
}

// signMistake is a message a client may have signed instead of the one it sent.
type signMistake struct {
	reason, cause, message string
}

// signMistakes lists the messages the usual mistakes sign: the full URL, the path escaped
// another way, the query left out or a bare "?" added, and a body other than the one sent
// (none, or a trailing newline more or less, as json.Encoder adds one;
// docs/wire.md#request-signatures).
func signMistakes(r *http.Request, body []byte, sc *signCheck) []signMistake {
	msg := func(target string, body []byte) string {
		return wxcrypto.RequestMessage(r.Method, target, sc.ts, sc.auth.Nonce, body)
	}
	var ms []signMistake
	urlMistake := func(target, cause string) {
		ms = append(ms, signMistake{"url_escaping", cause, msg(target, body)})
	}
	for _, t := range sc.targets {
		for _, host := range []string{wechatHost, "https://" + r.Host, "http://" + r.Host} {
			urlMistake(host+t, fmt.Sprintf("the request was signed over the full URL %s; the URL signed is the path and query only, %s", capped(host+t, 200), sc.targets[0]))
		}
	}
	path := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		urlMistake(path, "the request was signed over the URL without its query string; sign the path and the query as sent")
		if p, err := url.PathUnescape(path); err == nil && p != path {
			urlMistake(p, "the request was signed over the unescaped path without its query string; sign the path and the query as sent")
		}
		if q, err := url.QueryUnescape(r.URL.RawQuery); err == nil && q != r.URL.RawQuery {
			urlMistake(path+"?"+q, "the request was signed over the query unescaped, but sent it escaped; sign the URL exactly as sent")
		}
	} else if !strings.HasSuffix(r.RequestURI, "?") {
		urlMistake(r.RequestURI+"?", "the request was signed over the URL with a trailing '?' it was sent without; sign the URL exactly as sent")
	}
	if escaped := escapeSegments(path); escaped != path && escaped != sc.targets[0] {
		urlMistake(escaped+querySuffix(r), "the request was signed over the path escaped differently from the one sent; sign the URL exactly as sent")
	}
	for _, t := range sc.targets {
		if len(body) > 0 {
			ms = append(ms, signMistake{"message_mismatch", fmt.Sprintf("the request was signed with an empty body but sent a %d-byte body: sign the body you send", len(body)), msg(t, nil)})
		}
		ms = append(ms, signMistake{"message_mismatch", "the request was signed with a trailing newline after the body that it was sent without (json.Encoder adds one): sign the bytes you send", msg(t, append(bytes.Clone(body), '\n'))})
		if trimmed, ok := bytes.CutSuffix(body, []byte("\n")); ok {
			ms = append(ms, signMistake{"message_mismatch", "the request was signed without the trailing newline its body was sent with (json.Encoder adds one): sign the bytes you send", msg(t, trimmed)})
		}
	}
	return ms
}

// escapeSegments escapes each segment of a raw path with url.PathEscape, the strictest
// escaping a client may apply before signing.
func escapeSegments(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = url.PathEscape(u)
		}
	}
	return strings.Join(segs, "/")
}

func querySuffix(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}
