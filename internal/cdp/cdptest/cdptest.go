// Package cdptest starts headless Chromium for tests, and skips those tests
// cleanly on machines where no browser can run.
package cdptest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/segstack/segstack/internal/cdp"
)

// Path is the browser the tests drive: $SEGSTACK_CHROMIUM, or Debian's
// /usr/bin/chromium.
func Path() string {
	if p := os.Getenv("SEGSTACK_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// Require skips t when the browser is not installed and returns its path.
// Call it before setting up anything expensive.
func Require(t testing.TB) string {
	t.Helper()
	browser := Path()
	if _, err := os.Stat(browser); err != nil {
		t.Skipf("skipping the browser test: %s not found (.ci/install-deps.sh installs it)", browser)
	}
	return browser
}

// Browser starts headless Chromium with a fresh profile and a window of
// width × height for the rest of t, and returns it with a context that
// expires after timeout. It skips t when the browser is absent or cannot
// start on this machine: that is the environment, not the page. Once the
// browser has started, failing to drive it fails t.
func Browser(t testing.TB, width, height int, timeout time.Duration) (*cdp.Browser, context.Context) {
	t.Helper()
	browser := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	b, err := cdp.Launch(ctx, browser, cdp.Options{Width: width, Height: height, UserDataDir: t.TempDir()})
	if serr := (*cdp.StartError)(nil); errors.As(err, &serr) {
		t.Skipf("skipping the browser test: %v", err)
	}
	if err != nil {
		t.Fatalf("driving %s: %v", browser, err)
	}
	// Registered after TempDir's: the browser is gone before its profile
	// is removed.
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b, ctx
}
