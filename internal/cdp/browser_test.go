package cdp_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segstack/segstack/internal/cdp"
	"github.com/segstack/segstack/internal/cdp/cdptest"
	"github.com/stretchr/testify/require"
)

const testPage = `<!doctype html>
<html><head><title>cdp test</title>
<style>html, body { margin: 0; background: #3b7dd8; }</style></head>
<body data-updates="0">
<p id="msg" data-n="7">hello <b>world</b></p>
<p id="hidden" style="display: none" data-n="8">not shown</p>
<script>
setTimeout(() => {
	const e = document.createElement('div');
	e.id = 'late';
	e.textContent = 'arrived';
	document.body.appendChild(e);
	window.flag = true;
}, 300);
</script>
</body></html>`

// TestCDPInBrowser drives real Chromium through the client: loading pages,
// evaluating JavaScript into Go values, the waiting helpers, errors of the
// page and of the protocol, and a screenshot that decodes to the viewport.
func TestCDPInBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Write([]byte(testPage))
		case "/second":
			w.Write([]byte(`<title>second</title><p id="msg">again</p>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	b, ctx := cdptest.Browser(t, 640, 480, 60*time.Second)

	require.NoError(t, b.Navigate(ctx, srv.URL+"/"))
	var page struct {
		Title string
		URL   string
		Sum   int
	}
	require.NoError(t, b.Evaluate(ctx, `({title: document.title, url: location.href, sum: [1, 2, 3].reduce((a, b) => a + b)})`, &page))
	require.Equal(t, "cdp test", page.Title)
	require.Equal(t, srv.URL+"/", page.URL)
	require.Equal(t, 6, page.Sum)
	var list []string
	require.NoError(t, b.Evaluate(ctx, `Promise.resolve(['a', 'b'])`, &list), "promises are awaited")
	require.Equal(t, []string{"a", "b"}, list)

	v, ok, err := b.Attribute(ctx, "#msg", "data-n")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "7", v)
	_, ok, err = b.Attribute(ctx, "#msg", "data-missing")
	require.NoError(t, err)
	require.False(t, ok, "an absent attribute")
	text, err := b.Text(ctx, "#msg")
	require.NoError(t, err)
	require.Equal(t, "hello world", text)
	text, err = b.Text(ctx, "#hidden")
	require.NoError(t, err)
	require.Empty(t, text, "an element that is not rendered shows no text")

	// The page adds #late after 300 ms: the helpers wait for it.
	start := time.Now()
	require.NoError(t, b.WaitVisible(ctx, "#late"))
	text, err = b.Text(ctx, "#late")
	require.NoError(t, err)
	require.Equal(t, "arrived", text)
	require.NoError(t, b.Poll(ctx, `window.flag === true`, 5*time.Second))
	t.Logf("#late after %v", time.Since(start))
	err = b.Poll(ctx, `document.title === 'never'`, 200*time.Millisecond)
	require.ErrorContains(t, err, "still false after 200ms")
	require.NoError(t, ctx.Err(), "a poll's timeout is its own")
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, _, err = b.Attribute(sctx, "#nowhere", "id")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "waiting for #nowhere")
	_, err = b.Text(ctx, "p[")
	require.ErrorContains(t, err, "not a valid selector", "a bad selector fails at once")

	// Errors: an exception, values JSON cannot carry, a method the
	// browser does not have, a page that cannot load.
	err = b.Evaluate(ctx, `nosuch.thing`, nil)
	var evalErr *cdp.EvalError
	require.ErrorAs(t, err, &evalErr)
	require.Contains(t, evalErr.Text, "ReferenceError: nosuch is not defined")
	var n float64
	require.ErrorContains(t, b.Evaluate(ctx, `undefined`, &n), "undefined")
	require.ErrorContains(t, b.Evaluate(ctx, `0 / 0`, &n), "NaN")
	require.ErrorContains(t, b.Evaluate(ctx, `'text'`, &n), "decoding")
	err = b.Call(ctx, "Nope.nothing", nil, nil)
	var cdpErr *cdp.Error
	require.ErrorAs(t, err, &cdpErr)
	require.Equal(t, "Nope.nothing", cdpErr.Method)
	require.EqualValues(t, -32601, cdpErr.Code, "JSON-RPC's method not found")
	require.Contains(t, cdpErr.Message, "'Nope.nothing' wasn't found")
	err = b.Call(ctx, "Runtime.evaluate", map[string]int{"expression": 1}, nil)
	require.ErrorAs(t, err, &cdpErr)
	require.EqualValues(t, -32602, cdpErr.Code, "invalid params")
	require.ErrorContains(t, b.Navigate(ctx, "http://127.0.0.1:9/"), "net::ERR_")

	// A second page replaces the first once loaded.
	require.NoError(t, b.Navigate(ctx, srv.URL+"/second"))
	require.NoError(t, b.Evaluate(ctx, `document.title`, &page.Title))
	require.Equal(t, "second", page.Title)

	// The screenshot is a PNG of the viewport, in the page's colour.
	require.NoError(t, b.Navigate(ctx, srv.URL+"/"))
	var vp struct{ W, H int }
	require.NoError(t, b.Evaluate(ctx, `({w: Math.round(innerWidth * devicePixelRatio), h: Math.round(innerHeight * devicePixelRatio)})`, &vp))
	shot, err := b.CaptureScreenshot(ctx)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	require.Equal(t, 640, vp.W, "the window's width")
	require.Equal(t, vp.W, img.Bounds().Dx())
	require.Equal(t, vp.H, img.Bounds().Dy())
	r, g, bl, _ := img.At(vp.W-5, vp.H-5).RGBA()
	require.Equal(t, [3]uint32{0x3b, 0x7d, 0xd8}, [3]uint32{r >> 8, g >> 8, bl >> 8}, "the page's background")

	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "Close twice")
	require.ErrorContains(t, b.Evaluate(context.Background(), `1`, nil), "closed")
}

// TestCDPStartErrors: a browser that is not there, exits at once, or never
// listens is a *cdp.StartError with what it printed, and nothing is left
// running.
func TestCDPStartErrors(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("skipping: the fake browsers are shell scripts and /bin/sh is absent")
	}
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
		return p
	}
	for _, tc := range []struct {
		name, path, want, output string
	}{
		{"absent", filepath.Join(dir, "nonexistent"), "no such file", ""},
		{"exits", script("exits", `echo "cannot open display" >&2; exit 3`), "exited before listening for DevTools: exit status 3", "cannot open display"},
		{"silent", script("silent", `echo starting; exec sleep 30`), "printed no DevTools address in 300ms", "starting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			b, err := cdp.Launch(context.Background(), tc.path, cdp.Options{UserDataDir: t.TempDir(), StartTimeout: 300 * time.Millisecond})
			require.Nil(t, b)
			var serr *cdp.StartError
			require.ErrorAs(t, err, &serr)
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, tc.output, serr.Output)
			require.Less(t, time.Since(start), 5*time.Second, "the sleeping child is killed with the script")
		})
	}
	_, err := cdp.Launch(context.Background(), "/bin/true", cdp.Options{})
	require.ErrorContains(t, err, "UserDataDir is empty")
}
