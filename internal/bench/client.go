package bench

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// request is one pre-built, pre-signed API request: sending it costs the client no RSA.
type request struct {
	method string
	path   string // with the query, as signed
	body   []byte
	header http.Header
}

// signer signs APIv3 requests as one merchant.
type signer struct {
	mchid, serial string
	key           *rsa.PrivateKey
}

func newSigner(dir string, m identity.MerchantCredential) (*signer, error) {
	pemData, err := os.ReadFile(filepath.Join(dir, m.PrivateKeyFile))
	if err != nil {
		return nil, fmt.Errorf("merchant %s key: %w", m.Mchid, err)
	}
	key, err := wxcrypto.ParsePrivateKey(pemData)
	if err != nil {
		return nil, fmt.Errorf("merchant %s key: %w", m.Mchid, err)
	}
	return &signer{mchid: m.Mchid, serial: m.CertSerial, key: key}, nil
}

// v3 builds a signed APIv3 request with a fresh nonce and the current timestamp.
func (s *signer) v3(method, path string, body []byte) (*request, error) {
	ts := time.Now().Unix()
	nonce := wxcrypto.Nonce(32)
	sig, err := wxcrypto.Sign(s.key, wxcrypto.RequestMessage(method, path, ts, nonce, body))
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Authorization", fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",timestamp="%d",serial_no="%s",signature="%s"`,
		s.mchid, nonce, ts, s.serial, sig))
	h.Set("Accept", "application/json")
	h.Set("User-Agent", "tuikuan-bench")
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	return &request{method: method, path: path, body: body, header: h}, nil
}

// buildAll calls build(i) for i in [0, n) on every CPU: the pool's signatures are the
// slow part of a round's preparation.
func buildAll(ctx context.Context, n int, build func(i int) (*request, error)) ([]*request, error) {
	out := make([]*request, n)
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	for range runtime.NumCPU() {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= n || ctx.Err() != nil {
					return
				}
				r, err := build(j)
				if err != nil {
					errs <- err
					return
				}
				out[j] = r
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// newTransport is the one transport of a run: keep-alive, HTTP/1.1 only (a nil
// TLSNextProto map would allow HTTP/2 over TLS), and idle connections for every worker,
// so that no request pays for a new connection.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
}

// answer is what the loops keep of a response.
type answer struct {
	status int
	body   []byte
}

// send sends r to base and reads the whole answer.
func send(ctx context.Context, c *http.Client, base string, r *request) (answer, error) {
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, base+r.path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header = r.header.Clone()
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: body}, err
}

// sandbox calls the running server's sandbox API and decodes a 2xx answer into out.
func (e *env) sandbox(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+e.creds.SandboxToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// each runs f(i) for i in [0, n) from conc goroutines and returns the first error.
func each(ctx context.Context, n, conc int, f func(i int) error) error {
	var (
		mu    sync.Mutex
		i     int
		first error
		wg    sync.WaitGroup
	)
	for range min(conc, n) {
		wg.Go(func() {
			for {
				mu.Lock()
				j := i
				i++
				stop := first != nil
				mu.Unlock()
				if j >= n || stop || ctx.Err() != nil {
					return
				}
				if err := f(j); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// sendOK sends r and requires a 2xx answer, for the setup phase.
func (e *env) sendOK(ctx context.Context, r *request) ([]byte, error) {
	a, err := send(ctx, e.client, e.base, r)
	if err != nil {
		return nil, err
	}
	if a.status/100 != 2 {
		return nil, fmt.Errorf("%s %s: status %d: %s", r.method, r.path, a.status, a.body)
	}
	return a.body, nil
}

func readPublicKey(path string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New(path + ": not an RSA key")
	}
	return pub, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
