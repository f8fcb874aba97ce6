// Package cdp drives headless Chromium through the Chrome DevTools
// Protocol, for tests that look at the pages segstack serves: it starts
// the browser, connects to its page, and sends the few commands such tests
// need (load a page, evaluate JavaScript, take a screenshot), with the
// waiting helpers built on them.
//
// The protocol runs over a WebSocket (RFC 6455); the client end of it is
// here too, so the package needs nothing beyond the standard library.
package cdp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Options says how to start the browser.
type Options struct {
	// Width and Height are the window's size in CSS pixels; zero leaves
	// the browser's default.
	Width, Height int
	// UserDataDir is the profile directory, which the browser fills: a
	// fresh empty one for each browser. The caller removes it after Close.
	UserDataDir string
	// StartTimeout bounds the wait for the browser to listen for
	// DevTools connections; zero means 30 seconds.
	StartTimeout time.Duration
}

// StartError says that the browser did not start: it could not be run,
// exited, or did not listen for DevTools in time. That is the machine's
// affair, unlike the errors after it has started.
type StartError struct {
	Path   string
	Err    error
	Output string // the last lines the browser printed
}

func (e *StartError) Error() string {
	s := fmt.Sprintf("cdp: %s did not start: %v", e.Path, e.Err)
	if e.Output != "" {
		s += "; its last output:\n" + e.Output
	}
	return s
}

func (e *StartError) Unwrap() error { return e.Err }

// Browser is a running headless browser and the connection to its one
// page. Its methods may be called from several goroutines.
type Browser struct {
	path string
	cmd  *exec.Cmd
	out  *os.File      // the read end of the browser's stdout and stderr
	tail *outputTail   // what it printed last
	eof  chan struct{} // closed when out reaches its end
	c    *conn

	closeOnce sync.Once
	closeErr  error
}

// Launch starts the browser at path with a blank page and connects to
// that page. Failures before the browser listens for DevTools are
// *StartError. Close the Browser to stop it.
func Launch(ctx context.Context, path string, opt Options) (*Browser, error) {
	if opt.UserDataDir == "" {
		return nil, errors.New("cdp: Options.UserDataDir is empty: the browser needs a fresh profile directory")
	}
	if opt.Width < 0 || opt.Height < 0 {
		return nil, fmt.Errorf("cdp: window size %dx%d is negative", opt.Width, opt.Height)
	}
	startTimeout := opt.StartTimeout
	if startTimeout <= 0 {
		startTimeout = 30 * time.Second
	}
	args := []string{
		"--headless=new", "--hide-scrollbars", "--mute-audio",
		"--remote-debugging-port=0",
		"--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		// Tests run on machines without a network: keep the browser from
		// trying to reach its services.
		"--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage",
		"--user-data-dir=" + opt.UserDataDir,
	}
	if opt.Width > 0 && opt.Height > 0 {
		args = append(args, fmt.Sprintf("--window-size=%d,%d", opt.Width, opt.Height))
	}
	args = append(args, "about:blank")

	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("cdp: %w", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = w, w
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, &StartError{Path: path, Err: err}
	}
	w.Close() // the browser's processes hold the write end now
	b := &Browser{path: path, cmd: cmd, out: r, tail: &outputTail{}, eof: make(chan struct{})}
	listening := make(chan string, 1)
	go b.readOutput(listening)

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var wsURL string
	select {
	case wsURL = <-listening:
	case <-b.eof:
		waitErr, _ := b.stop()
		if waitErr == nil {
			waitErr = errors.New("exit status 0")
		}
		return nil, &StartError{Path: path, Err: fmt.Errorf("it exited before listening for DevTools: %w", waitErr), Output: b.tail.String()}
	case <-timer.C:
		b.stop()
		return nil, &StartError{Path: path, Err: fmt.Errorf("it printed no DevTools address in %v", startTimeout), Output: b.tail.String()}
	case <-ctx.Done():
		b.stop()
		return nil, &StartError{Path: path, Err: fmt.Errorf("waiting for its DevTools address: %w", context.Cause(ctx)), Output: b.tail.String()}
	}

	// From here on the browser runs: a failure is this client's or the
	// protocol's, not the machine's.
	pageURL, err := findPage(ctx, wsURL)
	if err == nil {
		var ws *wsConn
		if ws, err = dialWebSocket(ctx, pageURL); err == nil {
			b.c = newConn(ws)
			err = b.c.call(ctx, "Page.enable", nil, nil)
			if err == nil {
				err = b.c.call(ctx, "Page.setLifecycleEventsEnabled", map[string]bool{"enabled": true}, nil)
			}
		}
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("cdp: connecting to the page of %s: %w", path, err)
	}
	return b, nil
}

// readOutput keeps the tail of what the browser prints, passes on the
// DevTools address when it appears, and reads on to the end so that the
// browser never blocks on a full pipe.
func (b *Browser) readOutput(listening chan<- string) {
	defer close(b.eof)
	const prefix = "DevTools listening on "
	br := bufio.NewReader(b.out)
	found := false
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimRight(line, "\r\n")
			if !found && strings.HasPrefix(line, prefix) {
				found = true
				listening <- strings.TrimSpace(line[len(prefix):])
			} else {
				b.tail.add(line)
			}
		}
		if err != nil {
			return
		}
	}
}

// findPage asks the browser's HTTP endpoint for its targets and returns
// the WebSocket address of the page, waiting for the page to be listed.
func findPage(ctx context.Context, browserURL string) (string, error) {
	u, err := url.Parse(browserURL)
	if err != nil || u.Scheme != "ws" || u.Host == "" {
		return "", fmt.Errorf("the browser printed %q, not a ws:// address", browserURL)
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	list := "http://" + u.Host + "/json/list"
	var last error
	for {
		var targets []struct {
			Type string `json:"type"`
			WS   string `json:"webSocketDebuggerUrl"`
		}
		last = getJSON(ctx, client, list, &targets)
		if last == nil {
			for _, t := range targets {
				if t.Type == "page" && t.WS != "" {
					return t.WS, nil
				}
			}
			last = fmt.Errorf("%s lists %d targets and no page", list, len(targets))
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("finding the page: %w (last: %v)", context.Cause(ctx), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func getJSON(ctx context.Context, client *http.Client, addr string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", addr, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", addr, err)
	}
	return nil
}

// Close ends the connection, kills the browser with every process it
// started, and waits for them. It returns an error when some of those
// processes outlive the kill (they could still write in the profile).
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		var errs []error
		if b.c != nil {
			if err := b.c.close(); err != nil {
				errs = append(errs, fmt.Errorf("cdp: closing the connection: %w", err))
			}
		}
		if _, allGone := b.stop(); !allGone {
			errs = append(errs, fmt.Errorf("cdp: processes of %s still hold its output 5 s after it was killed", b.path))
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// stop kills the browser's processes and waits for the main one, then for
// all of them to let go of the output pipe they share, for at most a few
// seconds. It returns how the main process ended and whether they all did.
func (b *Browser) stop() (waitErr error, allGone bool) {
	killTree(b.cmd.Process)
	waitErr = b.cmd.Wait()
	select {
	case <-b.eof:
		allGone = true
	case <-time.After(5 * time.Second):
		// Ends readOutput, which some process still keeps waiting.
		b.out.Close()
		<-b.eof
	}
	b.out.Close()
	return waitErr, allGone
}

// outputTail keeps the last lines a browser printed, for error messages.
type outputTail struct {
	mu    sync.Mutex
	lines []string
}

func (t *outputTail) add(line string) {
	const maxLines, maxLen = 20, 400
	if len(line) > maxLen {
		line = line[:maxLen] + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > maxLines {
		t.lines = t.lines[len(t.lines)-maxLines:]
	}
}

func (t *outputTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
