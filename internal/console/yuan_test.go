package console

import "testing"

// Ensure an amount typed in yuan is read exactly, and anything else is refused rather
// than read as another amount.
func TestParseYuan(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"12.34", 1234, true},
		{"12", 1200, true},
		{"0.5", 50, true},
		{".05", 5, true},
		{" 1.00 ", 100, true},
		{"", 0, false},
		{"1.234", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1.-5", 0, false},
		{"1.+5", 0, false},
		{"1e2", 0, false},
		{"1,00", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := parseYuan("amount", tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseYuan(%q) = %d, %v; want %d, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
