package main

import (
	"net"
	"net/http"
	"testing"
)

// Ensure --pprof-addr serves the profiler on its own listener and never on the main one.
func TestPprofAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := startServer(t, "--pprof-addr", addr)
	for _, tt := range []struct {
		url  string
		want int
	}{
		{"http://" + addr + "/debug/pprof/cmdline", http.StatusOK},
		{s.base + "/debug/pprof/cmdline", http.StatusNotFound},
	} {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.url, resp.StatusCode, tt.want)
		}
	}
}
