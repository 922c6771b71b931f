package apiv2

import (
	"crypto/subtle"
	"errors"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Sign types (签名算法, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3); a
// request that names none is MD5.
const (
	signMD5  = "MD5"
	signHMAC = "HMAC-SHA256"
)

// sign is the request's or answer's sign under key: MD5 unless signType says HMAC-SHA256
// (签名算法, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3).
func sign(params map[string]string, key, signType string) string {
	return wxcrypto.V2Sign(params, key, signType == signHMAC)
}

// signReply is rp's sign, as sign's over its fields.
func signReply(rp *reply, key, signType string) string {
	return wxcrypto.V2SignSeq(rp.all(), key, signType == signHMAC)
}

// Reasons verify gives; the client sees only 签名错误, the log sees which.
var (
	errNoSign       = errors.New("sign missing")
	errSignType     = errors.New("sign_type is neither MD5 nor HMAC-SHA256")
	errSignMismatch = errors.New("sign does not match")
)

// signType is params' sign_type, "" meaning MD5.
func signType(params map[string]string) (string, error) {
	switch t := params["sign_type"]; t {
	case "", signMD5:
		return signMD5, nil
	case signHMAC:
		return signHMAC, nil
	}
	return "", errSignType
}

// verify checks params' sign under key. The docs have the signer upper-case the hex
// ("sign = MD5(stringSignTemp).toUpperCase()"), so a lower-case sign does not match.
func verify(params map[string]string, key string) error {
	got := params["sign"]
	if got == "" {
		return errNoSign
	}
	st, err := signType(params)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(sign(params, key, st))) != 1 {
		return errSignMismatch
	}
	return nil
}
