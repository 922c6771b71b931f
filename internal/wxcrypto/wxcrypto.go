// Package wxcrypto holds the WeChat Pay cryptography, with no HTTP in it: the APIv3
// message-to-sign and its SHA256-RSA signature, AEAD_AES_256_GCM resources, RSA-OAEP
// sensitive fields, v2's AES-256-ECB req_info, and the key and certificate material
// tuikuan generates.
package wxcrypto

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// RequestMessage is the APIv3 request string-to-sign: five lines, each ending in "\n"
// (docs/wire.md#request-signatures, wechatpay-go core/consts SignatureMessageFormat).
func RequestMessage(method, canonicalURL string, timestamp int64, nonce string, body []byte) string {
	var b strings.Builder
	b.Grow(len(method) + len(canonicalURL) + len(nonce) + len(body) + 20)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(canonicalURL)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(timestamp, 10))
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.Write(body)
	b.WriteByte('\n')
	return b.String()
}

// ResponseMessage is the string-to-sign of a response or a notification:
// "<ts>\n<nonce>\n<body>\n", also for an empty 204 body
// (docs/wire.md#answer-signatures).
func ResponseMessage(timestamp int64, nonce string, body []byte) string {
	return strconv.FormatInt(timestamp, 10) + "\n" + nonce + "\n" + string(body) + "\n"
}

// Sign returns base64(RSASSA-PKCS1-v1_5(SHA-256(message))).
func Sign(key *rsa.PrivateKey, message string) (string, error) {
	sum := sha256.Sum256([]byte(message))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign message: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks a base64 SHA256-RSA signature over message.
func Verify(pub *rsa.PublicKey, message, signature string) error {
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("signature is not base64: %w", err)
	}
	sum := sha256.Sum256([]byte(message))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
}

// Nonce returns n random characters from [0-9A-Za-z], the alphabet the SDKs use.
func Nonce(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // crypto/rand never fails on supported platforms (Go 1.24+)
	}
	for i, c := range buf {
		buf[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(buf)
}

// Digits returns n random decimal digits.
func Digits(n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic(err)
	}
	for i, c := range buf {
		buf[i] = '0' + c%10
	}
	return string(buf)
}

// Hex returns n random bytes as 2n lower-case hex digits.
func Hex(n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic(err)
	}
	return hex.EncodeToString(buf)
}

// Resource is an AEAD_AES_256_GCM encrypted payload as it appears in notifications and
// in the /v3/certificates answer.
type Resource struct {
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
	OriginalType   string `json:"original_type,omitempty"`
}

// Encrypt seals plaintext with AES-256-GCM under the 32-byte APIv3 key. The nonce is 12
// ASCII characters: wechatpay-go passes the nonce string's bytes to gcm.Open, which panics
// on any other length (docs/wire.md#notifications).
func Encrypt(apiv3Key, associatedData string, plaintext []byte) (Resource, error) {
	gcm, err := newGCM(apiv3Key)
	if err != nil {
		return Resource{}, err
	}
	nonce := Nonce(12)
	sealed := gcm.Seal(nil, []byte(nonce), plaintext, []byte(associatedData))
	return Resource{
		Algorithm:      "AEAD_AES_256_GCM",
		Ciphertext:     base64.StdEncoding.EncodeToString(sealed),
		AssociatedData: associatedData,
		Nonce:          nonce,
	}, nil
}

// Decrypt opens a Resource sealed by Encrypt (or by WeChat Pay).
func Decrypt(apiv3Key string, r Resource) ([]byte, error) {
	gcm, err := newGCM(apiv3Key)
	if err != nil {
		return nil, err
	}
	if len(r.Nonce) != gcm.NonceSize() {
		return nil, fmt.Errorf("nonce has %d bytes, want %d", len(r.Nonce), gcm.NonceSize())
	}
	sealed, err := base64.StdEncoding.DecodeString(r.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("ciphertext is not base64: %w", err)
	}
	return gcm.Open(nil, []byte(r.Nonce), sealed, []byte(r.AssociatedData))
}

func newGCM(apiv3Key string) (cipher.AEAD, error) {
	if len(apiv3Key) != 32 {
		return nil, fmt.Errorf("APIv3 key has %d bytes, want 32", len(apiv3Key))
	}
	block, err := aes.NewCipher([]byte(apiv3Key))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// EncryptOAEP encrypts a sensitive field the way merchants do: RSA-OAEP with SHA-1 and
// MGF1-SHA1, base64 (docs/wire.md#platform-keys).
func EncryptOAEP(pub *rsa.PublicKey, plaintext string) (string, error) {
	out, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, []byte(plaintext), nil)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// DecryptOAEP reverses EncryptOAEP.
func DecryptOAEP(key *rsa.PrivateKey, ciphertext string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return "", fmt.Errorf("ciphertext is not base64: %w", err)
	}
	out, err := rsa.DecryptOAEP(sha1.New(), rand.Reader, key, raw, nil)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// NewSerial returns a certificate serial number in the one form every client computes
// alike: a positive number in [2^156, 2^159), so its hex form is exactly 40 digits, the
// first 1 to 7. The top bit of its 20 octets is clear, so the DER INTEGER needs no
// leading zero octet and stays within RFC 5280 §4.1.2.2's 20 octets, and the hex of
// big.Int, of the raw DER content octets (what Node clients read) and openssl x509
// -serial are the same string. 156 random bits are as unguessable as RFC 5280 asks.
func NewSerial() *big.Int {
	lo := new(big.Int).Lsh(big.NewInt(1), 156)
	span := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 159), lo)
	n, err := rand.Int(rand.Reader, span)
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms (Go 1.24+)
	}
	return n.Add(n, lo)
}

// SerialInForm reports whether cert's serial is in NewSerial's form. Certificates of
// older data dirs are not: theirs had the top bit set, a 21-octet DER encoding.
func SerialInForm(cert *x509.Certificate) bool {
	n := cert.SerialNumber
	return n.Sign() > 0 && n.BitLen() > 156 && n.BitLen() <= 159
}

// SerialHex writes a certificate serial the way the SDKs compute it:
// fmt.Sprintf("%X", cert.SerialNumber.Bytes()) (wechatpay-go utils/pem.go).
func SerialHex(cert *x509.Certificate) string {
	return fmt.Sprintf("%X", cert.SerialNumber.Bytes())
}

// NewKey generates an RSA-2048 key, the size WeChat Pay uses.
func NewKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// SelfSign issues a self-signed certificate for key, valid from now for years years.
// WeChat's own certificates are CA-issued, but no SDK checks the chain
// (docs/wire.md#platform-keys).
func SelfSign(key *rsa.PrivateKey, commonName, org string, now time.Time, years int) (*x509.Certificate, []byte, error) {
	serial := NewSerial()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{org}, Country: []string{"CN"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(years, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// EncodePrivateKey writes key as a PKCS#8 "PRIVATE KEY" PEM, like apiclient_key.pem.
func EncodePrivateKey(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// EncodePublicKey writes a PKIX "PUBLIC KEY" PEM, like wxp_pub.pem.
func EncodePublicKey(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKey reads a PKCS#8 or PKCS#1 RSA private key PEM.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block in private key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("private key is not RSA")
	}
	return rk, nil
}

// ParseCertificate reads a "CERTIFICATE" PEM with an RSA key.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no CERTIFICATE PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
		return nil, errors.New("certificate key is not RSA")
	}
	return cert, nil
}

// Sealer encrypts values at rest with AES-256-GCM under a server key: each sealed value
// is base64(nonce || ciphertext || tag).
type Sealer struct{ gcm cipher.AEAD }

// NewSealer returns a Sealer over a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("sealing key has %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{gcm: gcm}, nil
}

// Seal encrypts plaintext.
func (s *Sealer) Seal(plaintext string) (string, error) {
	nonce := make([]byte, s.gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.gcm.Seal(nonce, nonce, []byte(plaintext), nil)), nil
}

// Open decrypts what Seal wrote.
func (s *Sealer) Open(sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("sealed value is not base64: %w", err)
	}
	n := s.gcm.NonceSize()
	if len(raw) < n {
		return "", errors.New("sealed value too short")
	}
	out, err := s.gcm.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", fmt.Errorf("open sealed value: %w", err)
	}
	return string(out), nil
}
