package cdp

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The client end of a WebSocket connection (RFC 6455), as much of it as the
// DevTools protocol uses: one connection over plain TCP, no extensions, text
// messages of any size in any number of fragments, pings answered.

// WebSocket opcodes (RFC 6455, section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// maxMessage bounds one message from the browser. A screenshot of a large
// window is a few megabytes of base64; anything near this is a broken peer.
const maxMessage = 256 << 20

// wsGUID is the key suffix of the opening handshake (RFC 6455, section 1.3).
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// CloseError is the close frame the other end sent: the connection is over.
type CloseError struct {
	Code   int // 1005 when the frame carried no status code
	Reason string
}

func (e *CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("websocket closed by the peer (status %d)", e.Code)
	}
	return fmt.Sprintf("websocket closed by the peer (status %d: %s)", e.Code, e.Reason)
}

// wsConn is one client connection. readMessage is for one goroutine at a
// time; writes may come from several.
type wsConn struct {
	c   net.Conn
	br  *bufio.Reader
	max int

	wmu    sync.Mutex
	closed bool // a close frame was sent
}

// dialWebSocket opens a connection to a ws:// address, bounded by ctx.
func dialWebSocket(ctx context.Context, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket address %q: %w", rawURL, err)
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("websocket address %q: scheme %q is not ws", rawURL, u.Scheme)
	}
	hostport := u.Host
	if u.Port() == "" {
		hostport = net.JoinHostPort(u.Hostname(), "80")
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", rawURL, err)
	}
	ws, err := handshake(ctx, c, u)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket %s: %w", rawURL, err)
	}
	return ws, nil
}

// handshake sends the opening request on c and checks the answer. No
// Origin header is sent: the browser refuses connections from origins it
// was not told to allow, and a test's client has none.
func handshake(ctx context.Context, c net.Conn, u *url.URL) (*wsConn, error) {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\n" +
		"Host: " + u.Host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
	br := bufio.NewReader(c)
	err := func() error {
		if _, err := io.WriteString(c, req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
		if err != nil {
			return fmt.Errorf("reading the handshake answer: %w", err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			return fmt.Errorf("handshake refused: %s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
		if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
			return fmt.Errorf("handshake answer upgrades to %q, not websocket", resp.Header.Get("Upgrade"))
		}
		if !hasToken(resp.Header.Values("Connection"), "upgrade") {
			return fmt.Errorf("handshake answer has Connection %q, not upgrade", resp.Header.Get("Connection"))
		}
		if got, want := resp.Header.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
			return fmt.Errorf("handshake answer has Sec-WebSocket-Accept %q, want %q", got, want)
		}
		if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
			return fmt.Errorf("handshake answer turns on extensions %q that were not asked for", ext)
		}
		return nil
	}()
	if !stop() {
		return nil, context.Cause(ctx)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The deadline is ctx's: it can pass an instant before ctx's own
		// timer marks it done.
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(time.Second):
		}
	}
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return &wsConn{c: c, br: br, max: maxMessage}, nil
}

// acceptKey is the Sec-WebSocket-Accept that answers key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// hasToken reports whether a comma-separated header holds token.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// writeText sends msg as one text message, bounded by ctx. A write cut
// short after it began leaves a partial frame behind, so it closes the
// connection.
func (w *wsConn) writeText(ctx context.Context, msg []byte) error {
	return w.writeFrame(ctx, opText, msg)
}

func (w *wsConn) writeFrame(ctx context.Context, opcode byte, payload []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if w.closed {
		return net.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if opcode == opClose {
		w.closed = true
	}
	dl, _ := ctx.Deadline()
	w.c.SetWriteDeadline(dl)
	// Cancelling ctx cuts the write short, but only while it lasts: a
	// late cancellation must not leave a past deadline for the next write
	// (each write sets its own deadline first, and this one is done).
	var mu sync.Mutex
	writing := true
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if writing {
			w.c.SetWriteDeadline(time.Unix(1, 0))
		}
	})
	n, err := w.c.Write(encodeFrame(opcode, payload))
	mu.Lock()
	writing = false
	mu.Unlock()
	stop()
	if err != nil {
		if n > 0 {
			// Part of a frame went out: nothing can follow it.
			w.c.Close()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Only ctx sets deadlines, but the connection's can pass an
			// instant before ctx's own timer marks it done.
			select {
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-time.After(time.Second):
			}
		}
		return err
	}
	return nil
}

// encodeFrame is one whole client frame: FIN set, the payload masked with
// a fresh random key, as RFC 6455 requires of clients.
func encodeFrame(opcode byte, payload []byte) []byte {
	n := len(payload)
	b := make([]byte, 0, 14+n)
	b = append(b, 0x80|opcode)
	switch {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i&3])
	}
	return b
}

// readMessage returns the next text or binary message, joined from its
// fragments. It answers pings on the way; a close frame from the peer is
// answered and returned as a *CloseError.
func (w *wsConn) readMessage() (opcode byte, msg []byte, err error) {
	started := false
	for {
		fin, op, payload, err := w.readFrame()
		if err != nil {
			return 0, nil, err
		}
		switch op {
		case opPing:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := w.writeFrame(ctx, opPong, payload)
			cancel()
			if err != nil {
				return 0, nil, fmt.Errorf("answering a ping: %w", err)
			}
			continue
		case opPong:
			continue
		case opClose:
			ce := &CloseError{Code: 1005}
			if len(payload) >= 2 {
				ce.Code = int(binary.BigEndian.Uint16(payload))
				ce.Reason = string(payload[2:])
			}
			echo := payload
			if len(echo) > 2 {
				echo = echo[:2]
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = w.writeFrame(ctx, opClose, echo)
			cancel()
			return 0, nil, ce
		case opContinuation:
			if !started {
				return 0, nil, errors.New("websocket: continuation frame with no message to continue")
			}
		case opText, opBinary:
			if started {
				return 0, nil, errors.New("websocket: a new message began before the last one ended")
			}
			started, opcode = true, op
		default:
			return 0, nil, fmt.Errorf("websocket: frame with reserved opcode %#x", op)
		}
		if len(msg)+len(payload) > w.max {
			return 0, nil, fmt.Errorf("websocket: message longer than %d bytes", w.max)
		}
		msg = append(msg, payload...)
		if fin {
			if opcode == opText && !utf8.Valid(msg) {
				return 0, nil, errors.New("websocket: text message is not UTF-8")
			}
			return opcode, msg, nil
		}
	}
}

// readFrame reads one frame as the server sent it.
func (w *wsConn) readFrame() (fin bool, opcode byte, payload []byte, err error) {
	var h [8]byte
	if _, err := io.ReadFull(w.br, h[:2]); err != nil {
		return false, 0, nil, err
	}
	fin, opcode = h[0]&0x80 != 0, h[0]&0x0f
	if h[0]&0x70 != 0 {
		return false, 0, nil, fmt.Errorf("websocket: frame with reserved bits %#x set and no extension agreed", h[0]&0x70)
	}
	if h[1]&0x80 != 0 {
		return false, 0, nil, errors.New("websocket: the server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(w.br, h[:2]); err != nil {
			return false, 0, nil, unexpected(err)
		}
		n = uint64(binary.BigEndian.Uint16(h[:2]))
	case 127:
		if _, err := io.ReadFull(w.br, h[:8]); err != nil {
			return false, 0, nil, unexpected(err)
		}
		n = binary.BigEndian.Uint64(h[:8])
	}
	if opcode >= opClose && (!fin || n > 125) {
		return false, 0, nil, fmt.Errorf("websocket: control frame %#x fragmented or of %d bytes (at most 125)", opcode, n)
	}
	if n > uint64(w.max) {
		return false, 0, nil, fmt.Errorf("websocket: frame of %d bytes, longer than the %d-byte limit", n, w.max)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(w.br, payload); err != nil {
		return false, 0, nil, unexpected(err)
	}
	return fin, opcode, payload, nil
}

// unexpected turns the end of the stream inside a frame into an error
// that says so.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// close sends a normal close frame, without waiting long for the peer to
// take it, and closes the connection.
func (w *wsConn) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = w.writeFrame(ctx, opClose, []byte{0x03, 0xe8}) // 1000: normal closure
	return w.c.Close()
}
