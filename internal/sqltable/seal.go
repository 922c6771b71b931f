package sqltable

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// SealedPrefix marks a sealed value; clear secrets never contain ':' (keys are letters
// and digits, PEM starts with '-').
const SealedPrefix = "sealed:"

// Seal returns what is stored for the secret v: SealedPrefix and sealer's output, or v
// itself with no sealer.
func Seal(sealer pay.Sealer, v string) (string, error) {
	if sealer == nil || v == "" {
		return v, nil
	}
	sealed, err := sealer.Seal(v)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return SealedPrefix + sealed, nil
}

// Open reverses Seal. A value without the marker is clear: a store opened without a
// sealer wrote it.
func Open(sealer pay.Sealer, v string) (string, error) {
	rest, ok := strings.CutPrefix(v, SealedPrefix)
	if !ok {
		return v, nil
	}
	if sealer == nil {
		return "", errors.New("value is sealed and the store has no sealer")
	}
	clear, err := sealer.Open(rest)
	if err != nil {
		// Most likely a server key other than the one that sealed it.
		return "", fmt.Errorf("open sealed value (is this the data dir's server.key?): %w", err)
	}
	return clear, nil
}

// SealMerchant returns a copy of m as stored: its APIv3 and APIv2 keys sealed.
func SealMerchant(sealer pay.Sealer, m *pay.Merchant) (*pay.Merchant, error) {
	stored := *m
	var err error
	if stored.APIv3Key, err = Seal(sealer, m.APIv3Key); err != nil {
		return nil, err
	}
	if stored.APIv2Key, err = Seal(sealer, m.APIv2Key); err != nil {
		return nil, err
	}
	return &stored, nil
}

// OpenMerchant turns m's stored keys back into clear ones.
func OpenMerchant(sealer pay.Sealer, m *pay.Merchant) (err error) {
	if m.APIv3Key, err = Open(sealer, m.APIv3Key); err != nil {
		return fmt.Errorf("merchant %s apiv3_key: %w", m.Mchid, err)
	}
	if m.APIv2Key, err = Open(sealer, m.APIv2Key); err != nil {
		return fmt.Errorf("merchant %s apiv2_key: %w", m.Mchid, err)
	}
	return nil
}
