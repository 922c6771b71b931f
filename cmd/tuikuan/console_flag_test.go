package main

import (
	"net/http"
	"testing"
)

// Ensure the console is on by default, sending a visitor to sign in, and that
// --console=false leaves /console/ unserved.
func TestConsoleFlag(t *testing.T) {
	noRedirect := func(s *testServer) *http.Client {
		c := *s.httpClient()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return &c
	}
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, http.StatusSeeOther},
		{[]string{"--console=false"}, http.StatusNotFound},
	} {
		s := startServer(t, tt.args...)
		resp, err := noRedirect(s).Get(s.base + "/console/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("serve %v: GET /console/ = %d, want %d", tt.args, resp.StatusCode, tt.want)
		}
	}
}
