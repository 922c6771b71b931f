package sandbox

import (
	"errors"
	"net/http"

	"github.com/tuikuan/tuikuan/internal/refund"
)

// merchantJSON is a merchant's settings view; keys never appear in it.
type merchantJSON struct {
	Mchid      string `json:"mchid"`
	Kind       string `json:"kind"`
	SpMchid    string `json:"sp_mchid,omitempty"`
	Appid      string `json:"appid"`
	NotifyURL  string `json:"notify_url"`
	NotifyMode string `json:"notify_mode"` // public_key | certificate
	RateLimit  string `json:"rate_limit"`  // the profile in force, the server's default if the merchant set none
}

func (h *handler) merchantView(m *refund.Merchant) merchantJSON {
	mode := m.NotifyMode
	if mode == refund.NotifyModePublicKey {
		mode = "public_key"
	}
	return merchantJSON{
		Mchid: m.Mchid, Kind: string(m.Kind), SpMchid: m.SpMchid, Appid: m.Appid,
		NotifyURL: m.NotifyURL, NotifyMode: mode, RateLimit: h.svc.Profile(m),
	}
}

func (h *handler) getMerchant(r *http.Request) (any, error) {
	mchid := r.PathValue("mchid")
	m, err := h.svc.Merchant(r.Context(), mchid)
	if errors.Is(err, refund.ErrNotFound) {
		return nil, refund.Errorf(refund.CodeMchNotExists, "商户号%s不存在", mchid)
	}
	if err != nil {
		return nil, err
	}
	return h.merchantView(m), nil
}

// patchMerchant changes the settings the body names; "" resets one.
func (h *handler) patchMerchant(r *http.Request) (any, error) {
	var b struct {
		NotifyURL  *string `json:"notify_url"`
		NotifyMode *string `json:"notify_mode"`
		RateLimit  *string `json:"rate_limit"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	m, err := h.svc.UpdateMerchantSettings(r.Context(), r.PathValue("mchid"), refund.MerchantSettings{
		NotifyURL: b.NotifyURL, NotifyMode: b.NotifyMode, RateProfile: b.RateLimit,
	})
	if err != nil {
		return nil, err
	}
	return h.merchantView(m), nil
}
