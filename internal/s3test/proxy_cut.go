package s3test

import (
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// maxCutUnknownLength bounds where an answer of unknown length (chunked) is
// cut: after at most this many body bytes, or at its end, before the
// chunked encoding's last chunk, whichever comes first.
const maxCutUnknownLength = 4096

// SetCutRate forwards fraction f of the requests (chosen at random) and cuts
// the connection partway through the answer, as a network that drops a
// connection mid-response does: the server did the request (a copy is
// made, an upload created), the client gets the status, the headers and
// fewer body bytes than the answer has, then the connection closes (a TCP
// FIN: Go's client reads io.ErrUnexpectedEOF). An answer without a body
// (HEAD, 204, an empty 200) is cut before its headers: the client gets no
// answer at all. Cuts are counted by operation (Cuts). 0 turns it off.
func (p *Proxy) SetCutRate(f float64) { p.cutRate.Store(math.Float64bits(f)) }

// Cuts returns operation name -> answers the proxy cut.
func (p *Proxy) Cuts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int, len(p.cuts))
	for k, v := range p.cuts {
		m[k] = v
	}
	return m
}

func (p *Proxy) countCut(op string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cuts[op]++
}

// errCut ends the reverse proxy's copy of an answer that is being cut; the
// reverse proxy then aborts the handler (http.ErrAbortHandler), which
// closes the client's connection.
var errCut = errors.New("s3test proxy: answer cut")

// cut forwards r and cuts the answer (SetCutRate).
func (p *Proxy) cut(w http.ResponseWriter, r *http.Request, op string) {
	cw := &cutWriter{w: w, cut: func() { p.countCut(op) }}
	p.forward(cw, r)
	switch {
	case cw.done:
		// Cut in Write: the reverse proxy has already aborted (it panics
		// with http.ErrAbortHandler; this line is reached only when it
		// did not, as outside a server).
	case !cw.sent:
		// No body byte came: nothing was sent to the client yet. The
		// server did the request; its answer is lost.
		cw.cut()
		drop(w)
	default:
		// The whole body (of unknown length) passed: cut before the end of
		// the chunked encoding, so the client cannot take it as whole.
		cw.cut()
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
}

// cutWriter passes an answer through until its cut point, then fails the
// write. The status and headers are held until the first body byte, so an
// answer without a body can still be dropped whole.
type cutWriter struct {
	w      http.ResponseWriter
	cut    func() // counts the cut
	status int    // held until the first body byte
	sent   bool   // the status and headers went to w
	left   int64  // body bytes still to pass before the cut
	done   bool   // the cut was made
}

func (c *cutWriter) Header() http.Header { return c.w.Header() }

func (c *cutWriter) WriteHeader(code int) {
	if code < 200 { // informational: passed on at once
		c.w.WriteHeader(code)
		return
	}
	if c.status == 0 {
		c.status = code
	}
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if c.done {
		return 0, errCut
	}
	if !c.sent {
		if c.status == 0 {
			c.status = http.StatusOK
		}
		c.left = cutPoint(c.w.Header().Get("Content-Length"))
		c.w.WriteHeader(c.status)
		c.sent = true
	}
	if int64(len(b)) < c.left {
		n, err := c.w.Write(b)
		c.left -= int64(n)
		return n, err
	}
	n, _ := c.w.Write(b[:c.left])
	c.left = 0
	c.done = true
	c.cut()
	_ = http.NewResponseController(c.w).Flush() // the headers and the bytes before the cut reach the client
	return n, errCut
}

// FlushError flushes what passed; before the first body byte there is
// nothing to flush (the headers are held).
func (c *cutWriter) FlushError() error {
	if !c.sent || c.done {
		return nil
	}
	return http.NewResponseController(c.w).Flush()
}

// cutPoint is how many body bytes pass before the cut: fewer than the
// Content-Length, or at most maxCutUnknownLength when it is not known.
func cutPoint(contentLength string) int64 {
	if n, err := strconv.ParseInt(contentLength, 10, 64); err == nil && n > 0 {
		return rand.Int64N(n)
	}
	return rand.Int64N(maxCutUnknownLength)
}
