package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-pay/gopay/wechat"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// serveChildEnv makes the test binary run `tuikuan serve` on the data dir it names
// instead of the tests, so that a test can kill a real first start with SIGKILL.
const serveChildEnv = "TUIKUAN_TEST_SERVE_CHILD"

// serveChildDBEnv is the child's TUIKUAN_DB.
const serveChildDBEnv = "TUIKUAN_TEST_SERVE_CHILD_DB"

func init() {
	dir := os.Getenv(serveChildEnv)
	if dir == "" {
		return
	}
	db := os.Getenv(serveChildDBEnv)
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-level", "error"},
		func(k string) string { return map[string]string{"TUIKUAN_DB": db}[k] }, io.Discard, os.Stderr)
	fmt.Fprintln(os.Stderr, "serve:", err)
	os.Exit(1)
}

// startChild starts `tuikuan serve` on dir in a child process.
func startChild(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveChildEnv+"="+dir, serveChildDBEnv+"="+dbFor(t, dir))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// Ensure a first start killed with SIGKILL at any point leaves a data dir that the next
// start completes: three merchants whose every credential works.
func TestFirstStart_KilledAnywhere(t *testing.T) {
	// How long a whole first start takes here, measured in a child like the ones killed.
	dir := t.TempDir()
	began := time.Now()
	child := startChild(t, dir)
	for {
		if _, err := identity.ReadCredentials(dir); err == nil {
			break
		}
		if time.Since(began) > 30*time.Second {
			child.Process.Kill()
			t.Fatal("first start did not write credentials.json")
		}
		time.Sleep(5 * time.Millisecond)
	}
	full := time.Since(began)
	child.Process.Kill()
	child.Wait()

	const points = 5
	for i := range points {
		after := full * time.Duration(i+1) / (points + 1)
		t.Run(fmt.Sprintf("after%dms", after.Milliseconds()), func(t *testing.T) {
			dir := t.TempDir()
			child := startChild(t, dir)
			time.Sleep(after)
			child.Process.Signal(syscall.SIGKILL)
			child.Wait()
			checkInstallation(t, startServerIn(t, dir))
		})
	}
}

// checkInstallation asserts that s has the three default merchants and that each one's
// APIv3 key pair, APIv2 key and v2 client certificate work.
func checkInstallation(t *testing.T, s *testServer) {
	t.Helper()
	kinds := map[string]int{}
	for _, m := range s.creds.Merchants {
		kinds[m.Kind]++
	}
	if len(s.creds.Merchants) != 3 || kinds["direct"] != 1 || kinds["partner"] != 1 || kinds["sub"] != 1 {
		t.Fatalf("merchants after restart = %v, want one direct, one partner, one sub", kinds)
	}
	caPEM, err := os.ReadFile(s.path(s.creds.Platform.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	for _, m := range s.creds.Merchants {
		// A partner acts for its sub merchant.
		q := refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String("NONE")}
		v2 := v2QueryBody(wechat.SignType_MD5, "out_refund_no", "NONE")
		if m.Kind == "partner" {
			q.SubMchid = core.String(s.merchant(t, "sub").Mchid)
			v2.Set("sub_mch_id", *q.SubMchid)
		}
		svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
		_, _, err := svc.QueryByOutRefundNo(context.Background(), q)
		if ae := apiError(t, err); ae.StatusCode != 404 {
			t.Errorf("merchant %s (%s): signed query = %d %s, want 404", m.Mchid, m.Kind, ae.StatusCode, ae.Code)
		}
		_, bm, err := s.v2Client(t, m, "http", false).QueryRefund(context.Background(), v2)
		if err != nil {
			t.Fatalf("merchant %s: v2 query: %v", m.Mchid, err)
		}
		v2ErrCode(t, m, wechat.SignType_MD5, bm, "REFUNDNOTEXIST")
		pair, err := tls.LoadX509KeyPair(s.path(m.ClientCertFile), s.path(m.PrivateKeyFile))
		if err != nil {
			t.Errorf("merchant %s: client certificate does not pair with its key: %v", m.Mchid, err)
			continue
		}
		leaf, _ := x509.ParseCertificate(pair.Certificate[0])
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("merchant %s: client certificate does not verify against the CA: %v", m.Mchid, err)
		}
	}
}

// Ensure a second server on a data dir in use refuses to start, and leaves the first
// one's credentials.json alone.
func TestServe_SecondServerRefuses(t *testing.T) {
	skipOnPostgres(t, "serve.lock, one server per data dir,")
	s := startServer(t)
	var stderr bytes.Buffer
	// Bounded, in case the second server does start.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", s.dir, "--log-level", "error"},
		func(string) string { return "" }, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second serve on %s = %v, want a data dir in use error", s.dir, err)
	}
	c, err := identity.ReadCredentials(s.dir)
	if err != nil || c.APIBase != s.base {
		t.Errorf("api_base after the second serve = %v (%v), want %s", c, err, s.base)
	}
	if !s.healthy(s.base) {
		t.Error("first server stopped answering")
	}
}

// Ensure no key, token or private key is in the database files in clear, and that those
// files are readable by their owner only.
func TestServe_SecretsSealedAtRest(t *testing.T) {
	skipOnPostgres(t, "a database file to search and whose mode to check")
	s := startServerIn(t, t.TempDir())
	secrets := map[string]string{"sandbox_token": s.creds.SandboxToken}
	for _, m := range s.creds.Merchants {
		secrets[m.Mchid+" apiv3_key"] = m.APIv3Key
		secrets[m.Mchid+" apiv2_key"] = m.APIv2Key
	}
	sealed := func(when string) {
		files, _ := filepath.Glob(s.path("tuikuan.db*"))
		if len(files) == 0 {
			t.Fatalf("%s: no database files", when)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range secrets {
				if bytes.Contains(data, []byte(v)) {
					t.Errorf("%s: %s holds %s in clear", when, filepath.Base(f), name)
				}
			}
			if bytes.Contains(data, []byte("PRIVATE KEY")) {
				t.Errorf("%s: %s holds a PEM private key in clear", when, filepath.Base(f))
			}
			info, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s mode = %v, want 0600", when, filepath.Base(f), info.Mode().Perm())
			}
		}
	}
	sealed("running")
	s.stop()
	sealed("stopped")
}

// Ensure a restart on an unchanged data dir rewrites none of its files: a full disk must
// not stop a restart.
func TestServe_RestartWritesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	s := startServerIn(t, dir, "--addr", addr)
	s.stop()
	before := fileStamps(t, dir)
	s = startServerIn(t, dir, "--addr", addr)
	s.stop()
	after := fileStamps(t, dir)
	for path, b := range before {
		if strings.HasPrefix(filepath.Base(path), "tuikuan.db") {
			continue // SQLite's own files
		}
		if a, ok := after[path]; !ok || a != b {
			t.Errorf("%s was rewritten by a restart: %v, then %v", path, b, a)
		}
	}
}

type fileStamp struct {
	ino     uint64
	modTime time.Time
}

func fileStamps(t *testing.T, dir string) map[string]fileStamp {
	t.Helper()
	out := map[string]fileStamp{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[path] = fileStamp{ino: info.Sys().(*syscall.Stat_t).Ino, modTime: info.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Ensure a restart re-issues a client certificate that does not verify against the CA.
func TestServe_RepairsClientCertificate(t *testing.T) {
	dir := t.TempDir()
	s := startServerIn(t, dir)
	m := s.merchant(t, "direct")
	s.stop()
	// A certificate over the merchant's key that the CA never issued, as a CA made
	// again after a crash would leave.
	keyPEM, err := os.ReadFile(s.path(m.PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := wxcrypto.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := wxcrypto.SelfSign(key, m.Mchid, "elsewhere", time.Now(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path(m.ClientCertFile), other, 0o644); err != nil {
		t.Fatal(err)
	}
	checkInstallation(t, startServerIn(t, dir))
}
