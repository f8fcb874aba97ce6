// Package dashboardtest starts headless Chromium for tests that drive the
// scheduler's dashboard page, and skips those tests cleanly on machines
// where no browser can run.
package dashboardtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
// width × height for the rest of t, and returns a context that drives it
// and expires after timeout. It skips t when the browser is absent or
// cannot start on this machine: that is the environment, not the page.
func Browser(t testing.TB, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	browser := Require(t)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The machines these tests run on have no network: keep Chromium
		// from trying to reach its services.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	bctx, cancelTimeout := context.WithTimeout(bctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	// An empty Do only starts the browser.
	if err := chromedp.Do(bctx); err != nil {
		t.Skipf("skipping the browser test: %s does not start here: %v", browser, err)
	}
	return bctx
}
