package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// dualListener serves plain HTTP and TLS on one port, telling them apart by the first
// byte a client sends (0x16 opens every TLS handshake). One address then carries both the
// APIv3 endpoints over http:// and the v2 API's mutual-TLS /secapi/ endpoints over
// https://, the way go-pay's v2 client, which has a single BaseURL for both, needs.
type dualListener struct {
	net.Listener
	tls   *tls.Config
	conns chan net.Conn
	errc  chan error
	done  chan struct{}
	once  sync.Once
}

func newDualListener(ln net.Listener, cfg *tls.Config) *dualListener {
	d := &dualListener{Listener: ln, tls: cfg, conns: make(chan net.Conn), errc: make(chan error, 1), done: make(chan struct{})}
	go d.acceptLoop()
	return d
}

func (d *dualListener) acceptLoop() {
	for {
		c, err := d.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			d.errc <- err
			return
		}
		// Sniff off the accept loop, so that a client that connects and says nothing
		// cannot hold up the others.
		go d.sniff(c)
	}
}

func (d *dualListener) sniff(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	var conn net.Conn = &peekedConn{Conn: c, r: br}
	if first[0] == 0x16 {
		conn = tls.Server(conn, d.tls)
	}
	select {
	case d.conns <- conn:
	case <-d.done:
		c.Close()
	}
}

// Accept returns the next connection, a *tls.Conn for TLS clients: net/http finishes the
// handshake and fills in Request.TLS.
func (d *dualListener) Accept() (net.Conn, error) {
	select {
	case c := <-d.conns:
		return c, nil
	case err := <-d.errc:
		return nil, err
	case <-d.done:
		return nil, net.ErrClosed
	}
}

func (d *dualListener) Close() error {
	d.once.Do(func() { close(d.done) })
	return d.Listener.Close()
}

// peekedConn replays the sniffed bytes before reading on.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }
