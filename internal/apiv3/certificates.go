package apiv3

import (
	"fmt"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

type certificateJSON struct {
	SerialNo           string            `json:"serial_no"`
	EffectiveTime      string            `json:"effective_time"`
	ExpireTime         string            `json:"expire_time"`
	EncryptCertificate wxcrypto.Resource `json:"encrypt_certificate"`
}

// certificates answers GET /v3/certificates: the platform certificate, encrypted under the
// caller's APIv3 key with associated data "certificate" (docs/wire.md#platform-keys).
func (a *api) certificates(c *call) (any, error) {
	res, err := wxcrypto.Encrypt(c.merchant.APIv3Key, "certificate", a.platform.CertPEM)
	if err != nil {
		return nil, fmt.Errorf("encrypt platform certificate: %w", err)
	}
	// The downloader re-validates later downloads with the certificates it got, so this
	// answer is always signed in certificate mode, whatever the request's Wechatpay-Serial.
	c.certMode = true
	return struct {
		Data []certificateJSON `json:"data"`
	}{[]certificateJSON{{
		SerialNo:           a.platform.CertSerial,
		EffectiveTime:      timeString(a.platform.Cert.NotBefore),
		ExpireTime:         timeString(a.platform.Cert.NotAfter),
		EncryptCertificate: res,
	}}}, nil
}
