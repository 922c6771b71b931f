package pay

import (
	"context"
	"errors"
	"fmt"
)

// Rate-limit profiles: what the API refuses with 429 FREQUENCY_LIMITED.
const (
	RateSandbox = "sandbox" // generous per-second limits, the default
	RateWechat  = "wechat"  // everything the docs state, including one minute between refunds of an order
	RateOff     = "off"     // no limits, for load tests
)

// RateProfiles lists the valid profile names.
var RateProfiles = []string{RateSandbox, RateWechat, RateOff}

// MerchantSettings changes what a tester may change about a merchant; nil leaves a
// setting as it is, "" resets it.
type MerchantSettings struct {
	NotifyURL       *string
	PlatformKeyMode *string
	// ModeField is the name PlatformKeyMode arrived under, for the error naming it.
	ModeField   string
	RateProfile *string
}

// Merchants is the service of the merchants' own records and settings.
type Merchants struct{ core }

// UpdateSettings applies s to mchid's settings and returns the merchant.
func (s *Merchants) UpdateSettings(ctx context.Context, mchid string, ms MerchantSettings) (*Merchant, error) {
	if ms.NotifyURL != nil {
		if err := notifyURL(*ms.NotifyURL); err != nil {
			return nil, err
		}
	}
	if ms.PlatformKeyMode != nil {
		if ms.ModeField == "" {
			ms.ModeField = "platform_key_mode"
		}
		if err := oneOf(ms.ModeField, *ms.PlatformKeyMode, "public_key", PlatformKeyCertificate); err != nil {
			return nil, err
		}
	}
	if ms.RateProfile != nil {
		if err := oneOf("rate_limit", *ms.RateProfile, RateProfiles...); err != nil {
			return nil, err
		}
	}
	var out *Merchant
	err := s.store.Update(ctx, func(tx Tx) error {
		m, err := tx.Merchant(ctx, mchid)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeMchNotExists, "商户号%s不存在", mchid)
		}
		if err != nil {
			return err
		}
		if ms.NotifyURL != nil {
			m.NotifyURL = *ms.NotifyURL
		}
		if ms.PlatformKeyMode != nil {
			m.PlatformKeyMode = *ms.PlatformKeyMode
			if m.PlatformKeyMode == "public_key" {
				m.PlatformKeyMode = PlatformKeyPublicKey
			}
		}
		if ms.RateProfile != nil {
			m.RateProfile = *ms.RateProfile
		}
		out = m
		if err := tx.UpdateMerchant(ctx, m); err != nil {
			return fmt.Errorf("update merchant %s: %w", mchid, err)
		}
		return nil
	})
	if err == nil {
		s.merchants.forget(mchid) // this node's next request sees the change
	}
	return out, err
}

// Profile is the rate-limit profile in force for m.
func (s *Merchants) Profile(m *Merchant) string { return s.profile(m) }

// Query returns a merchant by mchid, ErrNotFound if there is none. The merchant may be
// up to MerchantTTL old (see there); it is the caller's own copy.
func (s *Merchants) Query(ctx context.Context, mchid string) (*Merchant, error) {
	return s.merchants.Merchant(ctx, mchid)
}
