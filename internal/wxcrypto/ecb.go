package wxcrypto

import (
	"crypto/aes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
)

// EncryptECB pads plaintext with PKCS#7 and encrypts it with AES in ECB mode, block by
// block. ECB is WeChat Pay's choice, not ours: a v2 refund notification's req_info is
// "用key*对加密串B做AES-256-ECB解密（PKCS7Padding）" (v2 refund notification doc,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16), and merchants'
// SDKs decrypt nothing else. The standard library leaves ECB out on purpose, as equal
// blocks encrypt alike; use it for that format only. EncryptECB panics unless key has 16,
// 24 or 32 bytes: the key is never outside input (V2NotifyKey always makes 32).
func EncryptECB(key, plaintext []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	// PKCS#7 always pads, a whole block when plaintext fills its last one, so that the
	// last byte always says how much to remove.
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	out := make([]byte, len(plaintext)+pad)
	copy(out, plaintext)
	for i := len(plaintext); i < len(out); i++ {
		out[i] = byte(pad)
	}
	for i := 0; i < len(out); i += aes.BlockSize {
		block.Encrypt(out[i:i+aes.BlockSize], out[i:i+aes.BlockSize])
	}
	return out
}

// DecryptECB reverses EncryptECB, checking the padding.
func DecryptECB(key, ciphertext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("ciphertext has %d bytes, want a positive multiple of %d", len(ciphertext), aes.BlockSize)
	}
	out := make([]byte, len(ciphertext))
	for i := 0; i < len(out); i += aes.BlockSize {
		block.Decrypt(out[i:i+aes.BlockSize], ciphertext[i:i+aes.BlockSize])
	}
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errors.New("bad PKCS#7 padding")
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errors.New("bad PKCS#7 padding")
		}
	}
	return out[:len(out)-pad], nil
}

// V2NotifyKey is the AES key of a v2 refund notification's req_info, "对商户key做md5，
// 得到32位小写key*" (doc chapter=9_16): the lower-case hex MD5 of the merchant's APIv2
// key, whose 32 ASCII characters are the 32 key bytes as they are, not decoded from hex
// (docs/wire.md#apiv2; go-pay DecryptRefundNotifyReqInfo).
func V2NotifyKey(apiv2Key string) []byte {
	sum := md5.Sum([]byte(apiv2Key))
	return []byte(hex.EncodeToString(sum[:]))
}
