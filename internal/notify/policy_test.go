package notify_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/notify"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Ensure the default policy refuses link-local, unspecified and multicast addresses in
// every spelling, and lets loopback, private and public ones through; and that Deny adds
// to and Allow carves out of it. No traffic: Check only judges addresses.
func TestPolicy_Check(t *testing.T) {
	def := notify.Policy{Deny: notify.DefaultDeny}
	extra := notify.Policy{
		Deny:  append(append([]netip.Prefix{}, notify.DefaultDeny...), netip.MustParsePrefix("127.0.0.2/32")),
		Allow: []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32")},
	}
	tests := []struct {
		name   string
		policy notify.Policy
		addr   string
		refuse string // the range it is refused by, "" if allowed
	}{
		{"Metadata", def, "169.254.169.254", "169.254.0.0/16"},
		{"MetadataMapped", def, "::ffff:169.254.169.254", "169.254.0.0/16"},
		{"LinkLocal6", def, "fe80::1", "fe80::/10"},
		{"LinkLocal6Zone", def, "fe80::1%eth0", "fe80::/10"},
		{"Unspecified4", def, "0.0.0.0", "0.0.0.0/8"},
		{"ThisNetwork", def, "0.1.2.3", "0.0.0.0/8"},
		{"Unspecified6", def, "::", "::/128"},
		{"Multicast4", def, "224.0.0.1", "224.0.0.0/4"},
		{"Multicast4Top", def, "239.255.255.250", "224.0.0.0/4"},
		{"Multicast6", def, "ff02::1", "ff00::/8"},
		{"MulticastMapped", def, "::ffff:224.0.0.251", "224.0.0.0/4"},
		{"MetadataNAT64", def, "64:ff9b::a9fe:a9fe", "169.254.0.0/16"},
		{"PublicNAT64", def, "64:ff9b::cb00:7107", ""},
		{"Loopback4", def, "127.0.0.1", ""},
		{"Loopback4Other", def, "127.0.0.2", ""},
		{"Loopback6", def, "::1", ""},
		{"Private10", def, "10.1.2.3", ""},
		{"Private172", def, "172.16.0.1", ""},
		{"Private192", def, "192.168.1.1", ""},
		{"UniqueLocal6", def, "fd00::1", ""},
		{"Public4", def, "203.0.113.7", ""},
		{"Public6", def, "2001:db8::1", ""},
		{"BelowLinkLocal", def, "169.253.255.255", ""},
		{"AboveMulticast", def, "240.0.0.1", ""},
		{"DenyAdded", extra, "127.0.0.2", "127.0.0.2/32"},
		{"DenyAddedNeighbour", extra, "127.0.0.1", ""},
		{"AllowCarved", extra, "169.254.169.254", ""},
		{"AllowCarvedNeighbour", extra, "169.254.169.253", "169.254.0.0/16"},
		{"AllowCarvedMapped", extra, "::ffff:169.254.169.254", ""},
		{"AllowCarvedNAT64", extra, "64:ff9b::a9fe:a9fe", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(netip.MustParseAddr(tt.addr))
			var refused *notify.RefusedError
			got := ""
			if errors.As(err, &refused) {
				got = refused.Prefix.String()
			} else if err != nil {
				t.Fatalf("Check(%s) = %v, want nil or a *RefusedError", tt.addr, err)
			}
			if got != tt.refuse {
				t.Errorf("Check(%s) refused by %q, want %q", tt.addr, got, tt.refuse)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "", want: nil},
		{in: "127.0.0.2/32", want: []string{"127.0.0.2/32"}},
		{in: " 10.0.0.0/8 , fd00::/8,", want: []string{"10.0.0.0/8", "fd00::/8"}},
		{in: "10.1.2.3/8", want: []string{"10.0.0.0/8"}},
		{in: "169.254.169.254", want: []string{"169.254.169.254/32"}},
		{in: "::1", want: []string{"::1/128"}},
		{in: "fe80::1%eth0", want: []string{"fe80::1/128"}},
		{in: "::ffff:169.254.0.0/112", want: []string{"169.254.0.0/16"}},
		{in: "::ffff:1.2.3.4", want: []string{"1.2.3.4/32"}},
		{in: "10.0.0.0/33", bad: true},
		{in: "metadata.internal", bad: true},
		{in: "10.0.0.0/8;rm", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ps, err := notify.ParsePrefixes(tt.in)
			if (err != nil) != tt.bad {
				t.Fatalf("ParsePrefixes(%q) error = %v, want error %v", tt.in, err, tt.bad)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePrefixes(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// FuzzParsePrefixes checks that what the setting accepts is valid, and that an address
// inside an accepted range is judged by it.
func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"127.0.0.2/32", "::ffff:169.254.0.0/112", "fe80::1%eth0", "0.0.0.0/0,::/0", ",,", "1.2.3.4/-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := notify.ParsePrefixes(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("ParsePrefixes(%q) gave %v, not a valid masked range", s, p)
			}
			if p.Addr().Is4In6() {
				continue // a mapped address is judged as IPv4, outside an IPv6 range
			}
			pol := notify.Policy{Deny: []netip.Prefix{p}}
			if pol.Check(p.Addr()) == nil {
				t.Fatalf("ParsePrefixes(%q): %v not refused by its own range %v", s, p.Addr(), p)
			}
		}
	})
}

// receiver is a merchant endpoint on a loopback address of its own, counting what it gets.
func receiver(t *testing.T, ip string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	var hits atomic.Int64
	srv := &httptest.Server{
		Listener: ln,
		Config:   &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) })},
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

// Ensure a notify_url the policy refuses gets nothing, however it is reached: by address,
// by a name that resolves to it, or by a redirect from an allowed one; and each attempt
// is recorded as failed with the reason. Everything stays on loopback: 127.0.0.2 stands
// in for a denied address.
func TestDeliverer_Policy(t *testing.T) {
	denied, deniedHits := receiver(t, "127.0.0.2")
	allowed, allowedHits := receiver(t, "127.0.0.1")
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, denied.URL+"/notify", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	_, port, _ := net.SplitHostPort(allowed.Listener.Addr().String())

	tests := []struct {
		name      string
		url       string
		deny      string
		wantError string
	}{
		{"Address", denied.URL + "/notify", "127.0.0.2/32", "notify_url refused: address 127.0.0.2 is in 127.0.0.2/32, where notifications are not sent"},
		{"Name", "http://localhost:" + port + "/notify", "127.0.0.0/8,::1", "notify_url refused: address "},
		{"Redirect", redirect.URL, "127.0.0.2/32", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			deny, err := notify.ParsePrefixes(tt.deny)
			if err != nil {
				t.Fatal(err)
			}
			before := deniedHits.Load() + allowedHits.Load()
			id := f.owe(t, tt.url)
			run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform, Deny: deny}))
			_, as := f.wait(t, id, func(n *pay.Notification) bool { return n.Attempts == 1 })
			if a := as[0]; a.StatusCode/100 == 2 || !strings.HasPrefix(a.Error, tt.wantError) {
				t.Errorf("attempt = status %d error %q, want failed with %q", a.StatusCode, a.Error, tt.wantError)
			}
			if n := deniedHits.Load() + allowedHits.Load() - before; n != 0 {
				t.Errorf("denied endpoints got %d requests, want none", n)
			}
		})
	}
}
