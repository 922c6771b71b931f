package wxcrypto

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
)

// V2SignString is what a v2 signature covers
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3): every parameter but sign
// whose value is not empty, sorted by name (byte order), as name=value joined with &, then
// &key=<APIv2 key>. sign_type is a parameter like any other and is covered too.
func V2SignString(params map[string]string, key string) string {
	s := newV2Scratch(maps.All(params), key)
	defer s.free()
	return string(s.buf)
}

// V2Sign is the upper-case hex MD5 of the sign string, or with hmacSHA256 its
// HMAC-SHA256 keyed with the APIv2 key.
func V2Sign(params map[string]string, key string, hmacSHA256 bool) string {
	return V2SignSeq(maps.All(params), key, hmacSHA256)
}

// V2SignSeq is V2Sign over name-value pairs, for a caller that holds them in a list
// rather than a map. No name may come twice.
func V2SignSeq(params iter.Seq2[string, string], key string, hmacSHA256 bool) string {
	s := newV2Scratch(params, key)
	defer s.free()
	var sum []byte
	if hmacSHA256 {
		h := hmac.New(sha256.New, []byte(key))
		h.Write(s.buf)
		sum = h.Sum(s.sum[:0])
	} else {
		m := md5.Sum(s.buf)
		sum = append(s.sum[:0], m[:]...)
	}
	var out [2 * sha256.Size]byte
	n := hex.Encode(out[:], sum)
	for i, c := range out[:n] {
		if c >= 'a' {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out[:n])
}

// v2Scratch holds a sign string while it is hashed; pooled, since every v2 request and
// answer builds one.
type v2Scratch struct {
	pairs []v2Pair
	buf   []byte
	sum   [sha256.Size]byte
}

type v2Pair struct{ name, value string }

var v2Pool = sync.Pool{New: func() any { return new(v2Scratch) }}

// newV2Scratch builds params' sign string under key in a pooled scratch.
func newV2Scratch(params iter.Seq2[string, string], key string) *v2Scratch {
	s := v2Pool.Get().(*v2Scratch)
	for k, v := range params {
		if k != "sign" && v != "" {
			s.pairs = append(s.pairs, v2Pair{k, v})
		}
	}
	slices.SortFunc(s.pairs, func(a, b v2Pair) int { return strings.Compare(a.name, b.name) })
	for _, p := range s.pairs {
		s.buf = append(s.buf, p.name...)
		s.buf = append(s.buf, '=')
		s.buf = append(s.buf, p.value...)
		s.buf = append(s.buf, '&')
	}
	s.buf = append(s.buf, "key="...)
	s.buf = append(s.buf, key...)
	return s
}

// free returns s to the pool, keeping no value and no key, nor a buffer a huge request
// grew.
func (s *v2Scratch) free() {
	if cap(s.buf) > 64<<10 {
		return
	}
	clear(s.pairs)
	clear(s.buf)
	s.pairs, s.buf = s.pairs[:0], s.buf[:0]
	v2Pool.Put(s)
}
