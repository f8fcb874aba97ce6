package cdp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
)

// Error is an error the browser answered a command with.
type Error struct {
	Method  string // the command
	Code    int64
	Message string
	Data    string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("cdp: %s: %s (code %d)", e.Method, e.Message, e.Code)
	if e.Data != "" {
		s += ": " + e.Data
	}
	return s
}

// message is anything the browser sends: the answer to a command (ID set)
// or an event (Method set).
type message struct {
	ID     int64           `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
}

// conn sends commands over one DevTools connection and matches the answers
// to them by id. Events go to subscriptions; those nobody asked for are
// dropped.
type conn struct {
	ws *wsConn

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	subs    map[*subscription]struct{}
	err     error         // why the reader stopped; set before done closes
	done    chan struct{} // closed when the reader stops
}

func newConn(ws *wsConn) *conn {
	c := &conn{ws: ws, pending: map[int64]chan message{}, subs: map[*subscription]struct{}{}, done: make(chan struct{})}
	go c.read()
	return c
}

func (c *conn) read() {
	var err error
	for {
		var msg []byte
		if _, msg, err = c.ws.readMessage(); err != nil {
			break
		}
		var m message
		if err = json.Unmarshal(msg, &m); err != nil {
			err = fmt.Errorf("cdp: the browser sent a message that is not JSON: %w", err)
			break
		}
		c.mu.Lock()
		if m.ID != 0 {
			if ch, ok := c.pending[m.ID]; ok {
				delete(c.pending, m.ID)
				ch <- m // buffered: the reader never waits on a caller
			}
		} else if m.Method != "" {
			for s := range c.subs {
				if s.method == m.Method {
					s.push(m.Params)
				}
			}
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	close(c.done)
}

// closed is the error a call gets once the connection is gone.
func (c *conn) closed(method string) error {
	return fmt.Errorf("cdp: %s: the connection to the browser is closed: %w", method, c.err)
}

// call sends method with params (nil for none) and decodes the answer into
// result (nil to discard it). It returns an *Error when the browser
// refuses the command.
func (c *conn) call(ctx context.Context, method string, params, result any) error {
	c.mu.Lock()
	select {
	case <-c.done:
		c.mu.Unlock()
		return c.closed(method)
	default:
	}
	c.nextID++
	id := c.nextID
	ch := make(chan message, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}

	body, err := json.Marshal(struct {
		ID     int64  `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params,omitempty"`
	}{id, method, params})
	if err != nil {
		forget()
		return fmt.Errorf("cdp: %s: encoding the parameters: %w", method, err)
	}
	if err := c.ws.writeText(ctx, body); err != nil {
		forget()
		return fmt.Errorf("cdp: %s: sending: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return &Error{Method: method, Code: m.Error.Code, Message: m.Error.Message, Data: m.Error.Data}
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				return fmt.Errorf("cdp: %s: decoding the answer: %w", method, err)
			}
		}
		return nil
	case <-c.done:
		return c.closed(method)
	case <-ctx.Done():
		forget()
		return fmt.Errorf("cdp: %s: %w", method, context.Cause(ctx))
	}
}

// subscription queues the events of one method from when it is made until
// it is cancelled.
type subscription struct {
	method string
	c      *conn
	ready  chan struct{} // holds a token while the queue is not empty

	mu    sync.Mutex
	queue []json.RawMessage
}

func (c *conn) subscribe(method string) *subscription {
	s := &subscription{method: method, c: c, ready: make(chan struct{}, 1)}
	c.mu.Lock()
	c.subs[s] = struct{}{}
	c.mu.Unlock()
	return s
}

func (s *subscription) push(params json.RawMessage) {
	s.mu.Lock()
	s.queue = append(s.queue, params)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// next returns the parameters of the next event, waiting for one.
func (s *subscription) next(ctx context.Context) (json.RawMessage, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			p := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return p, nil
		}
		s.mu.Unlock()
		select {
		case <-s.ready:
		case <-s.c.done:
			return nil, s.c.closed("waiting for " + s.method)
		case <-ctx.Done():
			return nil, fmt.Errorf("cdp: waiting for %s: %w", s.method, context.Cause(ctx))
		}
	}
}

func (s *subscription) cancel() {
	s.c.mu.Lock()
	delete(s.c.subs, s)
	s.c.mu.Unlock()
}

// close ends the connection and waits for its reader to stop.
func (c *conn) close() error {
	err := c.ws.close()
	<-c.done
	if errors.Is(err, net.ErrClosed) {
		// A failed write closed it before.
		err = nil
	}
	return err
}
