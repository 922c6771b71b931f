package wxcrypto

import (
	"crypto/x509"
	"fmt"
	"math/big"
	"testing"
)

// Ensure NewSerial's draws are all in the form SerialInForm accepts, and the edges of
// the form are where its doc puts them.
func TestNewSerial(t *testing.T) {
	for range 2000 {
		n := NewSerial()
		if h := fmt.Sprintf("%X", n.Bytes()); len(h) != 40 || h[0] < '1' || h[0] > '7' {
			t.Fatalf("NewSerial() = %s, want 40 hex digits, the first 1 to 7", h)
		}
		if !SerialInForm(&x509.Certificate{SerialNumber: n}) {
			t.Fatalf("SerialInForm(%X) = false", n.Bytes())
		}
	}
	one := big.NewInt(1)
	for _, tt := range []struct {
		n    *big.Int
		want bool
	}{
		{new(big.Int).Lsh(one, 156), true},
		{new(big.Int).Sub(new(big.Int).Lsh(one, 159), one), true},
		{new(big.Int).Sub(new(big.Int).Lsh(one, 156), one), false}, // 39 hex digits
		{new(big.Int).Lsh(one, 159), false},                        // 21 DER octets
		{big.NewInt(-1), false},
	} {
		if got := SerialInForm(&x509.Certificate{SerialNumber: tt.n}); got != tt.want {
			t.Errorf("SerialInForm(%X) = %t, want %t", tt.n.Bytes(), got, tt.want)
		}
	}
}
