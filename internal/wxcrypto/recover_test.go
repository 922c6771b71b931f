package wxcrypto_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

func TestRecoverDigest(t *testing.T) {
	key, other := mustKeys(t)
	const msg = "POST\n/v3/refund/domestic/refunds\n1554208460\nn\n{}\n"
	sign := func(k *rsa.PrivateKey) []byte {
		b64, err := wxcrypto.Sign(k, msg)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	good := sign(key)
	flipped := bytes.Clone(good)
	flipped[100] ^= 1
	sum := sha256.Sum256([]byte(msg))
	sha1Sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, sum[:20])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sig  []byte
		want []byte // nil: not ok
	}{
		{name: "OwnKey", sig: good, want: sum[:]},
		{name: "OtherKey", sig: sign(other)},
		{name: "Flipped", sig: flipped},
		{name: "Short", sig: good[1:]},
		{name: "Long", sig: append(bytes.Clone(good), 0)},
		{name: "Empty", sig: nil},
		{name: "NotBelowModulus", sig: bytes.Repeat([]byte{0xff}, 256)},
		{name: "SHA1DigestInfo", sig: sha1Sig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := wxcrypto.RecoverDigest(&key.PublicKey, tt.sig)
			if ok != (tt.want != nil) || !bytes.Equal(got, tt.want) {
				t.Errorf("RecoverDigest = %x, %v, want %x, %v", got, ok, tt.want, tt.want != nil)
			}
		})
	}
}

// FuzzRecoverDigest checks that whatever RecoverDigest accepts, crypto/rsa verifies over
// the digest it returned: the two agree on what a well-formed signature is.
func FuzzRecoverDigest(f *testing.F) {
	key, _ := mustKeys(f)
	b64, err := wxcrypto.Sign(key, "GET\n/v3/certificates\n1\nn\n\n")
	if err != nil {
		f.Fatal(err)
	}
	good, _ := base64.StdEncoding.DecodeString(b64)
	f.Add(good)
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, 256))
	f.Add(bytes.Repeat([]byte{1}, 256))
	f.Fuzz(func(t *testing.T, sig []byte) {
		digest, ok := wxcrypto.RecoverDigest(&key.PublicKey, sig)
		if !ok {
			return
		}
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest, sig); err != nil {
			t.Errorf("RecoverDigest(%x) = %x, true; VerifyPKCS1v15 over it: %v", sig, digest, err)
		}
	})
}
