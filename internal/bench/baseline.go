package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// The sign-only baseline is the least any server of this protocol does per request: for
// APIv3 parse Authorization, verify the signature with the merchant's certificate and
// sign an answer; for APIv2 parse the XML, check the MD5 sign, encode and sign an
// answer. Its answers have the size of tuikuan's for the same call (a sample of which it
// is started with), so that tuikuan ÷ baseline prices exactly what tuikuan adds.

// baseline holds what the baseline parses once at start, never per request.
type baseline struct {
	platform *identity.Platform
	certs    map[string]*rsa.PublicKey // merchants' certificate keys by mchid
	v2Keys   map[string]string         // APIv2 keys by mchid
	answer   []byte                    // the APIv3 answer body
	v2Answer []xmlField2               // the APIv2 answer's fields, in order
}

type xmlField2 struct{ name, value string }

// ServeBaseline runs the baseline on listen for the merchants of dir's credentials.json,
// answering with answerFile's body, and prints "listening on http://ADDR" on stdout once
// it accepts connections.
func ServeBaseline(ctx context.Context, listen, dir, answerFile string, stdout io.Writer) error {
	b, err := loadBaseline(dir, answerFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	if _, err := fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func loadBaseline(dir, answerFile string) (*baseline, error) {
	creds, err := identity.ReadCredentials(dir)
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	answer, err := os.ReadFile(answerFile)
	if err != nil {
		return nil, fmt.Errorf("answer sample: %w", err)
	}
	// The platform's private key lives in tuikuan's store, not in the data dir; any
	// RSA-2048 key signs at the same cost.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	b := &baseline{
		platform: &identity.Platform{Key: key, PublicKeyID: creds.Platform.PublicKeyID},
		certs:    map[string]*rsa.PublicKey{}, v2Keys: map[string]string{}, answer: answer,
	}
	for _, m := range creds.Merchants {
		b.v2Keys[m.Mchid] = m.APIv2Key
		if m.CertFile == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, m.CertFile))
		if err != nil {
			return nil, fmt.Errorf("merchant %s certificate: %w", m.Mchid, err)
		}
		cert, err := wxcrypto.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("merchant %s certificate: %w", m.Mchid, err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("merchant %s certificate: not an RSA key", m.Mchid)
		}
		b.certs[m.Mchid] = pub
	}
	if bytes.HasPrefix(answer, []byte("<xml>")) {
		if b.v2Answer, err = flatXML(answer); err != nil {
			return nil, fmt.Errorf("answer sample: %w", err)
		}
	}
	return b, nil
}

func (b *baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v3/") {
		b.v3(w, r, body)
		return
	}
	b.v2(w, body)
}

func (b *baseline) v3(w http.ResponseWriter, r *http.Request, body []byte) {
	a, err := parseAuth(r.Header.Get("Authorization"))
	if err != nil {
		b.refuse(w, err.Error())
		return
	}
	pub := b.certs[a["mchid"]]
	ts, err := strconv.ParseInt(a["timestamp"], 10, 64)
	switch {
	case pub == nil:
		b.refuse(w, "unknown mchid")
		return
	case err != nil || abs(time.Now().Unix()-ts) > 300:
		b.refuse(w, "stale timestamp")
		return
	}
	msg := wxcrypto.RequestMessage(r.Method, r.URL.RequestURI(), ts, a["nonce_str"], body)
	if wxcrypto.Verify(pub, msg, a["signature"]) != nil {
		b.refuse(w, "sign not match")
		return
	}
	b.writeV3(w, http.StatusOK, b.answer)
}

func (b *baseline) refuse(w http.ResponseWriter, issue string) {
	b.writeV3(w, http.StatusUnauthorized, fmt.Appendf(nil, `{"code":"SIGN_ERROR","message":%q}`, issue))
}

// writeV3 signs body as tuikuan signs its answers, with the same code.
func (b *baseline) writeV3(w http.ResponseWriter, status int, body []byte) {
	if err := b.platform.SignHeaders(w.Header(), b.platform.PublicKeyID, body, time.Now()); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func (b *baseline) v2(w http.ResponseWriter, body []byte) {
	fields, err := flatXML(body)
	if err != nil {
		writeV2(w, []xmlField2{{"return_code", "FAIL"}, {"return_msg", "XML格式错误"}})
		return
	}
	params := make(map[string]string, len(fields))
	for _, f := range fields {
		params[f.name] = f.value
	}
	key, ok := b.v2Keys[params["mch_id"]]
	if !ok || params["sign"] != wxcrypto.V2Sign(params, key, false) {
		writeV2(w, []xmlField2{{"return_code", "FAIL"}, {"return_msg", "签名错误"}})
		return
	}
	out := make([]xmlField2, 0, len(b.v2Answer))
	values := make(map[string]string, len(b.v2Answer))
	for _, f := range b.v2Answer {
		switch f.name {
		case "sign":
			continue
		case "nonce_str":
			f.value = wxcrypto.Nonce(32)
		}
		out = append(out, f)
		values[f.name] = f.value
	}
	out = append(out, xmlField2{"sign", wxcrypto.V2Sign(values, key, false)})
	writeV2(w, out)
}

func writeV2(w http.ResponseWriter, fields []xmlField2) {
	var buf bytes.Buffer
	buf.WriteString("<xml>")
	for _, f := range fields {
		buf.WriteString("<" + f.name + "><![CDATA[" + f.value + "]]></" + f.name + ">")
	}
	buf.WriteString("</xml>")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(buf.Bytes())
}

// flatXML reads <xml><name>value</name>…</xml> into its fields, in order.
func flatXML(data []byte) ([]xmlField2, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var out []xmlField2
	depth := 0
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if depth == 2 {
				out = append(out, xmlField2{t.Name.Local, text.String()})
			}
			depth--
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no fields")
	}
	return out, nil
}

// parseAuth reads the five key="value" items of an APIv3 Authorization header.
func parseAuth(h string) (map[string]string, error) {
	scheme, items, ok := strings.Cut(h, " ")
	if !ok || scheme != "WECHATPAY2-SHA256-RSA2048" {
		return nil, errors.New("bad Authorization scheme")
	}
	a := make(map[string]string, 5)
	for _, item := range strings.Split(items, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, errors.New("bad Authorization item")
		}
		a[k] = strings.Trim(v, `"`)
	}
	return a, nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// baselineProc is the baseline running as a child process, so that its CPU time is its
// own to read.
type baselineProc struct {
	cmd  *exec.Cmd
	base string
	dir  string // temporary, holds the answer sample
}

// startBaseline runs command (the tuikuan binary and its hidden baseline subcommand)
// serving answer, and waits for its address.
func startBaseline(command []string, dataDir string, answer []byte, stderr io.Writer) (*baselineProc, error) {
	tmp, err := os.MkdirTemp("", "tuikuan-bench-")
	if err != nil {
		return nil, err
	}
	file := filepath.Join(tmp, "answer")
	if err := os.WriteFile(file, answer, 0o600); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	args := append(command[1:len(command):len(command)], "--listen", "127.0.0.1:0", "--data", dataDir, "--answer", file)
	cmd := exec.Command(command[0], args...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start baseline: %w", err)
	}
	p := &baselineProc{cmd: cmd, dir: tmp}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		p.stop()
		return nil, fmt.Errorf("baseline did not start: %q: %v", line, err)
	}
	p.base = addr
	return p, nil
}

func (p *baselineProc) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(p.dir)
}
