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
