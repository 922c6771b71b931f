package main

import (
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Ensure a TUIKUAN_* variable whose value does not parse stops the start with an error
// naming it, rather than being ignored or quietly replaced by the default.
func TestParseServe_BadEnv(t *testing.T) {
	tests := []struct {
		key, value string
	}{
		{"TUIKUAN_LENIENT", "yes"},
		{"TUIKUAN_LENIENT", "on"},
		{"TUIKUAN_LENIENT", " true"},
		{"TUIKUAN_REFUND_SPACING", "enabled"},
		{"TUIKUAN_REFUND_SPACING", "2"},
		{"TUIKUAN_SETTLE_DELAY", "5"},
		{"TUIKUAN_SETTLE_DELAY", "soon"},
		{"TUIKUAN_NOTIFY_TIME_SCALE", "fast"},
		{"TUIKUAN_NOTIFY_TIME_SCALE", "0"},
		{"TUIKUAN_NOTIFY_TIME_SCALE", "-1"},
		{"TUIKUAN_RATE_LIMIT", "fast"},
		{"TUIKUAN_LOG_LEVEL", "loud"},
		{"TUIKUAN_LOG_FORMAT", "xml"},
		{"TUIKUAN_NOTIFY_WORKERS", "0"},
		{"TUIKUAN_NOTIFY_WORKERS", "many"},
		{"TUIKUAN_NOTIFY_PER_URL", "0"},
		{"TUIKUAN_NOTIFY_DENY", "169.254.0.0/33"},
		{"TUIKUAN_NOTIFY_DENY", "metadata.internal"},
		{"TUIKUAN_NOTIFY_ALLOW", "10.0.0.0/8;127.0.0.1"},
		{"TUIKUAN_DB", "mysql://localhost/tuikuan"},
		{"TUIKUAN_DB", "tuikuan.db"},
		{"TUIKUAN_STORE_TIMEOUT", "5"},
		{"TUIKUAN_STORE_TIMEOUT", "0s"},
		{"TUIKUAN_NODE", "a:b"},
		{"TUIKUAN_NODE", "node 1"},
		{"TUIKUAN_NODES", "0"},
		{"TUIKUAN_NODES", "65"},
		{"TUIKUAN_NODES", "two"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			getenv := func(k string) string {
				if k == tt.key {
					return tt.value
				}
				return ""
			}
			_, err := parseServe(nil, getenv, io.Discard)
			if err == nil {
				t.Fatalf("parseServe with %s=%q: no error, want one naming it", tt.key, tt.value)
			}
			flag := "--" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(tt.key, "TUIKUAN_")), "_", "-")
			if !strings.Contains(err.Error(), tt.key) && !strings.Contains(err.Error(), flag) {
				t.Errorf("parseServe with %s=%q: error %q names neither %s nor %s", tt.key, tt.value, err, tt.key, flag)
			}
		})
	}
}

// Ensure the values the variables document are read, and a flag wins over its variable.
func TestParseServe_Env(t *testing.T) {
	env := map[string]string{
		"TUIKUAN_LENIENT":           "true",
		"TUIKUAN_REFUND_SPACING":    "1",
		"TUIKUAN_SETTLE_DELAY":      "2s",
		"TUIKUAN_NOTIFY_TIME_SCALE": "0.5",
		"TUIKUAN_NOTIFY_DENY":       "127.0.0.2/32",
		"TUIKUAN_NOTIFY_ALLOW":      "169.254.169.254",
		"TUIKUAN_DB":                "postgres://db.internal/tuikuan",
		"TUIKUAN_STORE_TIMEOUT":     "2s",
		"TUIKUAN_NODE":              "web-1",
		"TUIKUAN_NODES":             "3",
		"TUIKUAN_LOG_FORMAT":        "json",
		"TUIKUAN_METRICS_ADDR":      "127.0.0.1:9090",
	}
	c, err := parseServe([]string{"--lenient=false"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("parseServe: %v", err)
	}
	if c.Lenient || !c.RefundSpacing || c.SettleDelay != 2*time.Second || c.NotifyTimeScale != 0.5 {
		t.Errorf("parseServe = %+v, want lenient off (flag), refund spacing on, settle delay 2s, scale 0.5", c)
	}
	wantDeny, wantAllow := []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32")}
	if !slices.Equal(c.NotifyDeny, wantDeny) || !slices.Equal(c.NotifyAllow, wantAllow) {
		t.Errorf("parseServe deny %v allow %v, want %v and %v", c.NotifyDeny, c.NotifyAllow, wantDeny, wantAllow)
	}
	if c.DB != "postgres://db.internal/tuikuan" || c.StoreTimeout != 2*time.Second || c.Node != "web-1" || c.Nodes != 3 {
		t.Errorf("parseServe db %q store timeout %v node %q nodes %d, want the environment's", c.DB, c.StoreTimeout, c.Node, c.Nodes)
	}
	if c.LogFormat != "json" || c.MetricsAddr != "127.0.0.1:9090" {
		t.Errorf("parseServe log format %q metrics addr %q, want the environment's", c.LogFormat, c.MetricsAddr)
	}
}

// Ensure a node given no name gets one that tells it from other processes and is valid.
func TestParseServe_DefaultNode(t *testing.T) {
	c, err := parseServe(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatalf("parseServe: %v", err)
	}
	if !validNode(c.Node) || !strings.HasSuffix(c.Node, "-"+strconv.Itoa(os.Getpid())) {
		t.Errorf("default node %q, want a valid name ending in -<pid>", c.Node)
	}
}
