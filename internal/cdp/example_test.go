package cdp_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/segstack/segstack/internal/cdp"
)

// Load a page, wait for an element, read it, and take a screenshot. (Not
// run by go test: it needs Chromium; TestCDPInBrowser does the same.)
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	profile, err := os.MkdirTemp("", "profile")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(profile)
	b, err := cdp.Launch(ctx, "/usr/bin/chromium", cdp.Options{Width: 800, Height: 600, UserDataDir: profile})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	if err := b.Navigate(ctx, "data:text/html,<h1 data-n=3>Hello</h1>"); err != nil {
		panic(err)
	}
	if err := b.WaitVisible(ctx, "h1"); err != nil {
		panic(err)
	}
	text, _ := b.Text(ctx, "h1")
	n, _, _ := b.Attribute(ctx, "h1", "data-n")
	var sum int
	_ = b.Evaluate(ctx, `[1, 2, 3].reduce((a, b) => a + b)`, &sum)
	png, _ := b.CaptureScreenshot(ctx)
	fmt.Println(text, n, sum, len(png) > 0)
}
