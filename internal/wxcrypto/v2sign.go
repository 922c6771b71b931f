package wxcrypto

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// V2SignString is what a v2 signature covers
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3): every parameter but sign
// whose value is not empty, sorted by name (byte order), as name=value joined with &, then
// &key=<APIv2 key>. sign_type is a parameter like any other and is covered too.
func V2SignString(params map[string]string, key string) string {
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

// V2Sign is the upper-case hex MD5 of the sign string, or with hmacSHA256 its
// HMAC-SHA256 keyed with the APIv2 key.
func V2Sign(params map[string]string, key string, hmacSHA256 bool) string {
	s := []byte(V2SignString(params, key))
	var sum []byte
	if hmacSHA256 {
		h := hmac.New(sha256.New, []byte(key))
		h.Write(s)
		sum = h.Sum(nil)
	} else {
		m := md5.Sum(s)
		sum = m[:]
	}
	return strings.ToUpper(hex.EncodeToString(sum))
}
