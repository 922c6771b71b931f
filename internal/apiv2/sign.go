package apiv2

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
)

// Sign types (签名算法, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3); a
// request that names none is MD5.
const (
	signMD5  = "MD5"
	signHMAC = "HMAC-SHA256"
)

// signString is what a v2 signature covers
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3): every parameter but sign
// whose value is not empty, sorted by name (byte order), as name=value joined with &, then
// &key=<APIv2 key>. sign_type is a parameter like any other and is covered too.
func signString(params map[string]string, key string) string {
	names := make([]string, 0, len(params))
	for k, v := range params {
		if k != "sign" && v != "" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
		b.WriteByte('&')
	}
	b.WriteString("key=")
	b.WriteString(key)
	return b.String()
}

// sign is the upper-case hex MD5 of the sign string, or its HMAC-SHA256 keyed with the
// APIv2 key when signType says so.
func sign(params map[string]string, key, signType string) string {
	s := []byte(signString(params, key))
	var sum []byte
	if signType == signHMAC {
		h := hmac.New(sha256.New, []byte(key))
		h.Write(s)
		sum = h.Sum(nil)
	} else {
		m := md5.Sum(s)
		sum = m[:]
	}
	return strings.ToUpper(hex.EncodeToString(sum))
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
