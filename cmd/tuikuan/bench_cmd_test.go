package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/bench"
)

// Ensure `tuikuan bench` drives every scenario against a real server without an error,
// and with --baseline runs the sign-only baseline beside it: the JSON report parses and
// counts requests (or deliveries) in every round. Timing is not asserted: the machine is
// shared.
func TestBench_Scenarios(t *testing.T) {
	s := startServer(t, "--rate-limit", "off", "--notify-time-scale", "0.001")
	tests := []struct {
		scenario string
		extra    []string
	}{
		{"apply", []string{"--baseline"}},
		{"apply-ecommerce", nil},
		{"query", nil},
		{"v2-refundquery", []string{"--baseline"}},
		{"abnormal", nil},
		{"apply", []string{"--rate", "100"}},
		{"notify", []string{"--notifications", "60", "--receivers", "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+strings.Join(tt.extra, ""), func(t *testing.T) {
			args := append([]string{"bench", "--data", s.dir, "--scenario", tt.scenario, "--json",
				"--duration", "400ms", "--warmup", "0", "--rounds", "1", "--concurrency", "4", "--pool", "300"}, tt.extra...)
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
				t.Fatalf("bench: %v\n%s", err, stderr.String())
			}
			var rep bench.Report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("parse the report: %v\n%s", err, stdout.String())
			}
			if len(rep.Scenarios) != 1 || rep.Scenarios[0].Scenario != tt.scenario {
				t.Fatalf("report = %s, want one %s scenario", stdout.String(), tt.scenario)
			}
			res := rep.Scenarios[0]
			if tt.scenario == "notify" {
				for _, r := range res.Notify.Rounds {
					if r.Delivered != r.Refunds || r.Refunds == 0 {
						t.Errorf("notify round %+v: want every refund delivered", r)
					}
				}
				return
			}
			wantTargets := 1
			if len(tt.extra) > 0 && tt.extra[0] == "--baseline" {
				wantTargets = 2
				if len(res.Ratios) != 1 || res.MedianRatio <= 0 {
					t.Errorf("ratios = %v, median %v; want one", res.Ratios, res.MedianRatio)
				}
			}
			if len(res.Rounds) != wantTargets {
				t.Fatalf("%d rounds, want %d: %s", len(res.Rounds), wantTargets, stdout.String())
			}
			for _, r := range res.Rounds {
				if r.Requests == 0 || r.Errors != 0 {
					t.Errorf("%s round: %d requests, %d errors %v; want some and none", r.Target, r.Requests, r.Errors, r.ErrorsBy)
				}
			}
		})
	}
}
