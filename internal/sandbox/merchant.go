package sandbox

import (
	"errors"
	"net/http"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// merchantJSON is a merchant's settings view; keys never appear in it.
type merchantJSON struct {
	Mchid     string `json:"mchid"`
	Kind      string `json:"kind"`
	SpMchid   string `json:"sp_mchid,omitempty"`
	Appid     string `json:"appid"`
	NotifyURL string `json:"notify_url"`
	// PlatformKeyMode (public_key | certificate) picks the platform key that signs the
	// merchant's notifications and the answers to its requests that name no key.
	PlatformKeyMode string `json:"platform_key_mode"`
	// NotifyMode is PlatformKeyMode under its first name, from when it governed
	// notifications only; scripts written then still read it.
	NotifyMode string `json:"notify_mode"`
	RateLimit  string `json:"rate_limit"` // the profile in force, the server's default if the merchant set none
}

func (h *handler) merchantView(m *pay.Merchant) merchantJSON {
	mode := m.PlatformKeyMode
	if mode == pay.PlatformKeyPublicKey {
		mode = "public_key"
	}
	return merchantJSON{
		Mchid: m.Mchid, Kind: string(m.Kind), SpMchid: m.SpMchid, Appid: m.Appid,
		NotifyURL: m.NotifyURL, PlatformKeyMode: mode, NotifyMode: mode, RateLimit: h.svc.Merchants.Profile(m),
	}
}

func (h *handler) getMerchant(r *http.Request) (any, error) {
	mchid := r.PathValue("mchid")
	m, err := h.svc.Merchants.Query(r.Context(), mchid)
	if errors.Is(err, pay.ErrNotFound) {
		return nil, pay.Errorf(pay.CodeMchNotExists, "商户号%s不存在", mchid)
	}
	if err != nil {
		return nil, err
	}
	return h.merchantView(m), nil
}

// patchMerchant changes the settings the body names; "" resets one. notify_mode is
// accepted for platform_key_mode, its first name.
func (h *handler) patchMerchant(r *http.Request) (any, error) {
	var b struct {
		NotifyURL       *string `json:"notify_url"`
		PlatformKeyMode *string `json:"platform_key_mode"`
		NotifyMode      *string `json:"notify_mode"`
		RateLimit       *string `json:"rate_limit"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	mode, field := b.PlatformKeyMode, "platform_key_mode"
	if b.NotifyMode != nil {
		if mode != nil && *mode != *b.NotifyMode {
			return nil, pay.ParamError("notify_mode", "与platform_key_mode不一致：notify_mode是platform_key_mode的旧名，只需给出其一", nil)
		}
		mode, field = b.NotifyMode, "notify_mode"
	}
	m, err := h.svc.Merchants.UpdateSettings(r.Context(), r.PathValue("mchid"), pay.MerchantSettings{
		NotifyURL: b.NotifyURL, PlatformKeyMode: mode, ModeField: field, RateProfile: b.RateLimit,
	})
	if err != nil {
		return nil, err
	}
	return h.merchantView(m), nil
}
