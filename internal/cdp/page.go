package cdp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// pollInterval is how often the waiting helpers look at the page again.
const pollInterval = 50 * time.Millisecond

// Call sends a DevTools command with params (nil for none) to the page and
// decodes its answer into result (nil to discard it). A command the
// browser refuses is an *Error.
func (b *Browser) Call(ctx context.Context, method string, params, result any) error {
	return b.c.call(ctx, method, params, result)
}

// Navigate loads url in the page and waits for its load event.
func (b *Browser) Navigate(ctx context.Context, url string) error {
	// Listen before asking, so that no event is missed; the loader id in
	// the answer tells this navigation's events from an earlier one's.
	events := b.c.subscribe("Page.lifecycleEvent")
	defer events.cancel()
	var nav struct {
		FrameID   string `json:"frameId"`
		LoaderID  string `json:"loaderId"`
		ErrorText string `json:"errorText"`
	}
	if err := b.c.call(ctx, "Page.navigate", map[string]string{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("cdp: navigating to %s: %s", url, nav.ErrorText)
	}
	if nav.LoaderID == "" {
		return nil // a move within the same document: nothing loads
	}
	for {
		p, err := events.next(ctx)
		if err != nil {
			return fmt.Errorf("cdp: waiting for %s to load: %w", url, err)
		}
		var ev struct {
			FrameID  string `json:"frameId"`
			LoaderID string `json:"loaderId"`
			Name     string `json:"name"`
		}
		if err := json.Unmarshal(p, &ev); err != nil {
			return fmt.Errorf("cdp: Page.lifecycleEvent: %w", err)
		}
		if ev.Name == "load" && ev.FrameID == nav.FrameID && ev.LoaderID == nav.LoaderID {
			return nil
		}
	}
}

// EvalError is a JavaScript exception thrown by an evaluated expression.
type EvalError struct {
	Expr string
	Text string // the exception, as the browser describes it
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("cdp: evaluating %s: %s", short(e.Expr), e.Text)
}

// Evaluate runs the JavaScript expression expr in the page, waits for it
// when it is a promise, and decodes its value as JSON into out (nil to
// discard it). An exception is an *EvalError; a value JSON cannot carry
// (undefined, NaN, a function…) is an error when out is not nil.
func (b *Browser) Evaluate(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Type                string          `json:"type"`
			Value               json.RawMessage `json:"value"`
			UnserializableValue string          `json:"unserializableValue"`
			Description         string          `json:"description"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := b.c.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &r)
	if err != nil {
		return err
	}
	if d := r.ExceptionDetails; d != nil {
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		return &EvalError{Expr: expr, Text: text}
	}
	if out == nil {
		return nil
	}
	switch {
	case r.Result.Type == "undefined":
		return fmt.Errorf("cdp: evaluating %s: the value is undefined", short(expr))
	case r.Result.UnserializableValue != "":
		return fmt.Errorf("cdp: evaluating %s: the value %s has no JSON form", short(expr), r.Result.UnserializableValue)
	case len(r.Result.Value) == 0:
		return fmt.Errorf("cdp: evaluating %s: the %s value %q has no JSON form", short(expr), r.Result.Type, r.Result.Description)
	}
	if err := json.Unmarshal(r.Result.Value, out); err != nil {
		return fmt.Errorf("cdp: evaluating %s: decoding %s: %w", short(expr), r.Result.Value, err)
	}
	return nil
}

// Poll evaluates expr, a JavaScript expression of a boolean, until it is
// true, for at most timeout (and within ctx).
func (b *Browser) Poll(ctx context.Context, expr string, timeout time.Duration) error {
	pctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("still false after %v", timeout))
	defer cancel()
	return poll(pctx, "polling "+short(expr), func() (bool, error) {
		var ok bool
		err := b.Evaluate(pctx, expr, &ok)
		return ok, err
	})
}

// WaitVisible waits until an element matches the CSS selector sel and is
// laid out with a size (displayed, though it may be scrolled away).
func (b *Browser) WaitVisible(ctx context.Context, sel string) error {
	return poll(ctx, "waiting for "+sel+" to be visible", func() (bool, error) {
		var visible bool
		err := b.onElement(ctx, sel, `(e) => Boolean(e.offsetWidth || e.offsetHeight || e.getClientRects().length)`, &visible)
		if err == errNoElement {
			return false, nil
		}
		return visible, err
	})
}

// Attribute returns the attribute name of the first element matching the
// CSS selector sel, waiting for there to be such an element; ok is false
// when the element has no such attribute.
func (b *Browser) Attribute(ctx context.Context, sel, name string) (value string, ok bool, err error) {
	var v *string
	err = b.waitElement(ctx, sel, `(e) => e.getAttribute(`+jsString(name)+`)`, &v)
	if err != nil || v == nil {
		return "", false, err
	}
	return *v, true, nil
}

// Text returns the text that the first element matching the CSS selector
// sel shows (its innerText; empty when it is not rendered), waiting for
// there to be such an element.
func (b *Browser) Text(ctx context.Context, sel string) (string, error) {
	var s string
	err := b.waitElement(ctx, sel,
		`(e) => (e.offsetWidth || e.offsetHeight || e.getClientRects().length) ? e.innerText : ""`, &s)
	return s, err
}

// CaptureScreenshot returns a PNG image of the page's viewport.
func (b *Browser) CaptureScreenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := b.c.call(ctx, "Page.captureScreenshot", map[string]string{"format": "png"}, &r); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return nil, fmt.Errorf("cdp: Page.captureScreenshot: %w", err)
	}
	return png, nil
}

// errNoElement is what onElement reports while nothing matches.
var errNoElement = errors.New("no element matches")

// onElement applies fn, the source of a JavaScript function of an element,
// to the first element matching the CSS selector sel, and decodes what it
// returns into out; errNoElement when nothing matches.
func (b *Browser) onElement(ctx context.Context, sel, fn string, out any) error {
	expr := `(() => { const e = document.querySelector(` + jsString(sel) + `);` +
		` return e === null ? {found: false} : {found: true, value: (` + fn + `)(e)}; })()`
	var r struct {
		Found bool            `json:"found"`
		Value json.RawMessage `json:"value"`
	}
	if err := b.Evaluate(ctx, expr, &r); err != nil {
		return err
	}
	if !r.Found {
		return errNoElement
	}
	if len(r.Value) == 0 {
		r.Value = json.RawMessage("null") // fn returned undefined
	}
	if err := json.Unmarshal(r.Value, out); err != nil {
		return fmt.Errorf("cdp: %s: decoding %s: %w", sel, r.Value, err)
	}
	return nil
}

// waitElement is onElement once an element matches sel.
func (b *Browser) waitElement(ctx context.Context, sel, fn string, out any) error {
	return poll(ctx, "waiting for "+sel, func() (bool, error) {
		err := b.onElement(ctx, sel, fn, out)
		if err == errNoElement {
			return false, nil
		}
		return err == nil, err
	})
}

// poll calls try until it reports done or fails, every pollInterval, until
// ctx ends.
func poll(ctx context.Context, what string, try func() (bool, error)) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		done, err := try()
		if err == nil && done {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("cdp: %s: %w", what, context.Cause(ctx))
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cdp: %s: %w", what, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// short is expr cut for an error message.
func short(expr string) string {
	const n = 80
	if r := []rune(expr); len(r) > n {
		expr = string(r[:n]) + "…"
	}
	return fmt.Sprintf("%q", expr)
}
