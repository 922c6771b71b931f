package wxcrypto

import (
	"bytes"
	"crypto/rsa"
	"math/big"
)

// sha256DigestInfo is the DER prefix of a SHA-256 DigestInfo, the bytes RSASSA-PKCS1-v1_5
// puts before the digest (RFC 8017 §9.2, note 1).
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// RecoverDigest applies pub's public operation to an RSASSA-PKCS1-v1_5 signature and, when
// the result is a well-formed SHA-256 encoding (0x00 0x01 0xff… 0x00 DigestInfo digest),
// returns the SHA-256 digest that was signed. A signature made with the private half of
// pub over any message gives ok; one made with another key gives a random-looking block
// that is well-formed with negligible probability. crypto/rsa verifies against a digest
// the caller supplies and exposes no way to read the signed one, hence math/big here.
// It is for explaining a refused signature, never for accepting one: use Verify.
func RecoverDigest(pub *rsa.PublicKey, sig []byte) (digest []byte, ok bool) {
	k := pub.Size()
	tLen := len(sha256DigestInfo) + 32
	if len(sig) != k || k < tLen+11 {
		return nil, false
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return nil, false
	}
	em := s.Exp(s, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	ps := em[2 : k-tLen-1]
	if em[0] != 0 || em[1] != 1 || em[k-tLen-1] != 0 || len(bytes.Trim(ps, "\xff")) != 0 {
		return nil, false
	}
	if !bytes.Equal(em[k-tLen:k-32], sha256DigestInfo) {
		return nil, false
	}
	return em[k-32:], true
}
