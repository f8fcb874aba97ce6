package cdp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The server ends of these tests are written from RFC 6455 here, apart
// from the client: the handshake checks the client's request, frames are
// built byte by byte.

// wsServer accepts one connection, checks the client's opening handshake
// and answers it with accept (the right Sec-WebSocket-Accept when empty),
// then hands the connection to serve.
func wsServer(t *testing.T, status int, accept string, serve func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Errorf("server: reading the handshake: %v", err)
			return
		}
		key := req.Header.Get("Sec-WebSocket-Key")
		if nonce, err := decodeBase64(key); err != nil || len(nonce) != 16 {
			t.Errorf("server: Sec-WebSocket-Key %q is not 16 bytes in base64", key)
		}
		for h, want := range map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13", "Origin": ""} {
			if got := req.Header.Get(h); got != want {
				t.Errorf("server: %s: %q, want %q", h, got, want)
			}
		}
		if req.Method != http.MethodGet || req.URL.Path != "/devtools/page/1" || req.Host == "" {
			t.Errorf("server: request %s %s (host %q)", req.Method, req.URL, req.Host)
		}
		if status != http.StatusSwitchingProtocols {
			io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nno page 1")
			return
		}
		if accept == "" {
			accept = acceptKey(key)
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+accept+"\r\n\r\n")
		serve(c, br)
	}()
	return "ws://" + ln.Addr().String() + "/devtools/page/1"
}

func decodeBase64(s string) ([]byte, error) {
	var b []byte
	err := json.Unmarshal([]byte(`"`+s+`"`), &b) // encoding/json decodes []byte from standard base64
	return b, err
}

// serverFrame is a frame as a server sends it: never masked, the length
// in the shortest form unless long is set.
func serverFrame(fin bool, opcode byte, payload []byte) []byte {
	b := []byte{opcode}
	if fin {
		b[0] |= 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// readClientFrame reads one frame from the client, checks that it is a
// single masked frame with the shortest length form, and unmasks it.
func readClientFrame(t *testing.T, br *bufio.Reader) (opcode byte, payload []byte) {
	var h [2]byte
	_, err := io.ReadFull(br, h[:])
	require.NoError(t, err)
	require.EqualValues(t, 0x80, h[0]&0xf0, "FIN set, no reserved bits")
	require.EqualValues(t, 0x80, h[1]&0x80, "client frames are masked")
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, err = io.ReadFull(br, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
		require.Greater(t, n, uint64(125), "16-bit length only past 125")
	case 127:
		var l [8]byte
		_, err = io.ReadFull(br, l[:])
		n = binary.BigEndian.Uint64(l[:])
		require.Greater(t, n, uint64(0xffff), "64-bit length only past 65535")
	}
	require.NoError(t, err)
	var mask [4]byte
	_, err = io.ReadFull(br, mask[:])
	require.NoError(t, err)
	payload = make([]byte, n)
	_, err = io.ReadFull(br, payload)
	require.NoError(t, err)
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return h[0] & 0x0f, payload
}

func dial(t *testing.T, u string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, err := dialWebSocket(ctx, u)
	require.NoError(t, err)
	t.Cleanup(func() { ws.c.Close() })
	return ws
}

func TestWebSocketClientFrames(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 5, 125, 126, 300, 65535, 65536, 70000}
	got := make(chan []byte, len(sizes))
	u := wsServer(t, 101, "", func(c net.Conn, br *bufio.Reader) {
		for range sizes {
			op, p := readClientFrame(t, br)
			require.EqualValues(t, opText, op)
			got <- p
		}
		op, p := readClientFrame(t, br)
		require.EqualValues(t, opClose, op)
		require.Equal(t, []byte{0x03, 0xe8}, p, "normal closure")
	})
	ws := dial(t, u)
	for _, n := range sizes {
		msg := bytes.Repeat([]byte("abcdefg"), n/7+1)[:n]
		require.NoError(t, ws.writeText(context.Background(), msg))
		require.Equal(t, msg, <-got, "%d bytes", n)
	}
	require.NoError(t, ws.close())
}

func TestWebSocketServerFrames(t *testing.T) {
	t.Parallel()
	long := bytes.Repeat([]byte("0123456789"), 7000) // 70000 bytes: 64-bit length
	mid := long[:300]                                // 16-bit length
	u := wsServer(t, 101, "", func(c net.Conn, br *bufio.Reader) {
		var out []byte
		// A message in three fragments with a ping between them.
		out = append(out, serverFrame(false, opText, []byte("hel"))...)
		out = append(out, serverFrame(false, opContinuation, []byte("lo, "))...)
		out = append(out, serverFrame(true, opPing, []byte("are you there"))...)
		out = append(out, serverFrame(true, opContinuation, []byte("world"))...)
		out = append(out, serverFrame(true, opPong, nil)...) // unasked: ignored
		out = append(out, serverFrame(true, opText, mid)...)
		out = append(out, serverFrame(true, opBinary, long)...)
		// A long message in fragments of every length form.
		out = append(out, serverFrame(false, opText, long[:100])...)
		out = append(out, serverFrame(false, opContinuation, long[100:1000])...)
		out = append(out, serverFrame(true, opContinuation, long[1000:])...)
		out = append(out, serverFrame(true, opClose, append([]byte{0x03, 0xe9}, "going away"...))...)
		_, err := c.Write(out)
		require.NoError(t, err)
		op, p := readClientFrame(t, br)
		require.EqualValues(t, opPong, op)
		require.Equal(t, "are you there", string(p), "the pong carries the ping's payload")
		op, p = readClientFrame(t, br)
		require.EqualValues(t, opClose, op)
		require.Equal(t, []byte{0x03, 0xe9}, p, "the close echoes the status code")
	})
	ws := dial(t, u)
	for _, want := range []struct {
		op  byte
		msg []byte
	}{{opText, []byte("hello, world")}, {opText, mid}, {opBinary, long}, {opText, long}} {
		op, msg, err := ws.readMessage()
		require.NoError(t, err)
		require.Equal(t, want.op, op)
		require.Equal(t, want.msg, msg)
	}
	_, _, err := ws.readMessage()
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, CloseError{Code: 1001, Reason: "going away"}, *ce)
	require.ErrorIs(t, ws.writeText(context.Background(), []byte("late")), net.ErrClosed, "no message after the close")
}

func TestWebSocketBadServerFrames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		frames []byte
		want   string
	}{
		{"masked", []byte{0x81, 0x81, 1, 2, 3, 4, 'x'}, "masked"},
		{"reserved bits", []byte{0xc1, 0x01, 'x'}, "reserved bits"},
		{"reserved opcode", []byte{0x83, 0x01, 'x'}, "reserved opcode"},
		{"long control frame", serverFrame(true, opPing, make([]byte, 126)), "control frame"},
		{"fragmented control frame", serverFrame(false, opPing, nil), "control frame"},
		{"lone continuation", serverFrame(true, opContinuation, []byte("x")), "continuation"},
		{"interleaved messages", append(serverFrame(false, opText, []byte("a")), serverFrame(true, opText, []byte("b"))...), "before the last one ended"},
		{"not UTF-8", serverFrame(true, opText, []byte{0xff, 0xfe}), "not UTF-8"},
		{"huge frame", []byte{0x82, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "limit"},
		{"cut short", serverFrame(true, opText, []byte("truncated"))[:6], io.ErrUnexpectedEOF.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := wsServer(t, 101, "", func(c net.Conn, br *bufio.Reader) {
				c.Write(tc.frames)
			})
			ws := dial(t, u)
			_, _, err := ws.readMessage()
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestWebSocketHandshakeErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := dialWebSocket(ctx, wsServer(t, 101, "d3Jvbmcga2V5", func(net.Conn, *bufio.Reader) {}))
	require.ErrorContains(t, err, "Sec-WebSocket-Accept")
	_, err = dialWebSocket(ctx, wsServer(t, 404, "", nil))
	require.ErrorContains(t, err, "handshake refused: 404 Not Found: no page 1")
	_, err = dialWebSocket(ctx, "http://127.0.0.1:1/x")
	require.ErrorContains(t, err, `scheme "http" is not ws`)

	// A server that never answers: the context bounds the handshake.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	sctx, scancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer scancel()
	start := time.Now()
	_, err = dialWebSocket(sctx, "ws://"+ln.Addr().String()+"/")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

// TestConnCalls answers commands out of order, with events and an unknown
// id between them, and one command with an error.
func TestConnCalls(t *testing.T) {
	t.Parallel()
	type cmd struct {
		ID     int64           `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	u := wsServer(t, 101, "", func(c net.Conn, br *bufio.Reader) {
		var cmds []cmd
		for range 3 {
			_, p := readClientFrame(t, br)
			var m cmd
			require.NoError(t, json.Unmarshal(p, &m))
			cmds = append(cmds, m)
		}
		byMethod := map[string]cmd{}
		for _, m := range cmds {
			byMethod[m.Method] = m
		}
		require.JSONEq(t, `{"x":1}`, string(byMethod["A.one"].Params))
		require.Empty(t, byMethod["B.two"].Params, "no params: none sent")
		send := func(s string) { c.Write(serverFrame(true, opText, []byte(s))) }
		send(`{"method":"Page.lifecycleEvent","params":{"name":"init"}}`)
		send(`{"id":999,"result":{}}`)
		send(`{"id":` + jsonInt(byMethod["C.three"].ID) + `,"error":{"code":-32000,"message":"no such node","data":"id 5"}}`)
		send(`{"id":` + jsonInt(byMethod["B.two"].ID) + `,"result":{"v":"two"}}`)
		send(`{"method":"Other.event","params":{}}`)
		send(`{"method":"Page.lifecycleEvent","params":{"name":"load"}}`)
		send(`{"id":` + jsonInt(byMethod["A.one"].ID) + `,"result":{"v":"one"}}`)
		// The client's close.
		op, _ := readClientFrame(t, br)
		require.EqualValues(t, opClose, op)
	})
	c := newConn(dial(t, u))
	events := c.subscribe("Page.lifecycleEvent")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type answer struct {
		v   string
		err error
	}
	results := map[string]chan answer{"A.one": make(chan answer, 1), "B.two": make(chan answer, 1), "C.three": make(chan answer, 1)}
	params := map[string]any{"A.one": map[string]int{"x": 1}, "B.two": nil, "C.three": nil}
	for m, ch := range results {
		go func() {
			var r struct{ V string }
			err := c.call(ctx, m, params[m], &r)
			ch <- answer{r.V, err}
		}()
	}
	a := <-results["A.one"]
	require.NoError(t, a.err)
	require.Equal(t, "one", a.v)
	a = <-results["B.two"]
	require.NoError(t, a.err)
	require.Equal(t, "two", a.v)
	a = <-results["C.three"]
	var cerr *Error
	require.ErrorAs(t, a.err, &cerr)
	require.Equal(t, Error{Method: "C.three", Code: -32000, Message: "no such node", Data: "id 5"}, *cerr)
	for _, want := range []string{`{"name":"init"}`, `{"name":"load"}`} {
		p, err := events.next(ctx)
		require.NoError(t, err)
		require.JSONEq(t, want, string(p))
	}
	events.cancel()
	require.NoError(t, c.close())
	err := c.call(ctx, "D.four", nil, nil)
	require.ErrorContains(t, err, "connection to the browser is closed")
}

// TestConnCallContext: a command the browser never answers ends with its
// context, and a broken connection ends every call waiting on it.
func TestConnCallContext(t *testing.T) {
	t.Parallel()
	hangUp := make(chan struct{})
	u := wsServer(t, 101, "", func(c net.Conn, br *bufio.Reader) {
		readClientFrame(t, br)
		readClientFrame(t, br)
		<-hangUp
	})
	c := newConn(dial(t, u))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.call(ctx, "Never.answered", nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "Never.answered")

	errc := make(chan error, 1)
	go func() { errc <- c.call(context.Background(), "Waits.on", nil, nil) }()
	time.Sleep(50 * time.Millisecond)
	close(hangUp)
	err = <-errc
	require.ErrorContains(t, err, "Waits.on: the connection to the browser is closed")
	require.True(t, errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset"), "%v", err)
	require.NoError(t, c.close())
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
