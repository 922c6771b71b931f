package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// Ensure the README's client example, examples/refund, builds and runs against a real
// server in every combination it offers: direct merchant or partner, answers verified with
// the platform public key or with downloaded platform certificates.
func TestExample_Refund(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "refund")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/tuikuan/tuikuan/examples/refund").CombinedOutput(); err != nil {
		t.Fatalf("go build examples/refund: %v\n%s", err, out)
	}
	s := startServer(t)
	// The same port serves TLS with a certificate of tuikuan's CA, which the example must
	// trust on its own.
	creds, err := os.ReadFile(s.path(identity.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	overTLS := bytes.Replace(creds, []byte(`"api_base": "http://`), []byte(`"api_base": "https://`), 1)
	if bytes.Equal(overTLS, creds) {
		t.Fatalf("no http api_base in credentials.json:\n%s", creds)
	}
	if err := os.WriteFile(s.path("credentials-tls.json"), overTLS, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ kind, mode, credentials string }{
		{"direct", "public-key", identity.CredentialsFile},
		{"partner", "public-key", identity.CredentialsFile},
		{"direct", "certificate", identity.CredentialsFile},
		{"partner", "certificate", identity.CredentialsFile},
		{"direct", "public-key", "credentials-tls.json"},
	} {
		t.Run(tc.kind+"/"+tc.mode+"/"+tc.credentials, func(t *testing.T) {
			no := uniq("EX")
			out, err := exec.Command(bin, "-credentials", s.path(tc.credentials),
				"-kind", tc.kind, "-mode", tc.mode, "-total", "250", "-out-refund-no", no).CombinedOutput()
			if err != nil {
				t.Fatalf("example: %v\n%s", err, out)
			}
			for _, step := range []string{"created", "queried"} {
				want := `(?m)^refund ` + step + `: out_refund_no=` + no + ` refund_id=\S+ status=PROCESSING refund=250$`
				if !regexp.MustCompile(want).Match(out) {
					t.Errorf("output has no line matching %s:\n%s", want, out)
				}
			}
			m := regexp.MustCompile(`transaction_id=(\S+)`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("output names no transaction:\n%s", out)
			}
			if o := s.order(t, string(m[1])); len(o.Refunds) != 1 || o.Refunds[0].Amount.Refund != 250 {
				t.Errorf("the server's order %s has refunds %+v, want one of 250", m[1], o.Refunds)
			}
		})
	}
}

// Ensure the code the README quotes from examples/refund is still the example's, so the
// excerpt a user copies is the code the test above runs.
func TestExample_READMEExcerpt(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/refund/main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Connect a client\n")
	_, block, ok := strings.Cut(section, "```go\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok || block == "" {
		t.Fatal(`README's "Connect a client" has no Go excerpt`)
	}
	if !strings.Contains(string(example), block) {
		t.Errorf("README's excerpt is not in examples/refund/main.go:\n%s", block)
	}
}
