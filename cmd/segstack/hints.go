package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/segstack/segstack/segment"
)

// withFlagHints adds to the library errors that a flag answers the flag
// that does: the library's errors say what is wrong, and only the CLI
// knows its flags. The result still wraps err.
func withFlagHints(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var ce *segment.ChannelError
	var conn *segment.ConnectivityError
	var se *segment.SplitError
	switch {
	case errors.As(err, &ce) && ce.Requested < 0:
		msg = strings.Replace(msg, ce.Error(), fmt.Sprintf("the stack has %d channels: choose one with --channel 0..%d", ce.Channels, ce.Channels-1), 1)
	case errors.As(err, &conn):
		hint := fmt.Sprintf("connectivity %d is not a 2d connectivity (want 4 or 8; 6, 18 and 26 need --mode 3d)", conn.Connectivity)
		if conn.Mode == segment.Mode3D {
			hint = fmt.Sprintf("connectivity %d is not a 3d connectivity (want 6, 18 or 26; 4 and 8 need --mode 2d)", conn.Connectivity)
		}
		msg = strings.Replace(msg, conn.Error(), hint, 1)
	case errors.As(err, &se):
		msg = strings.Replace(msg, se.Error(), fmt.Sprintf("--%s: %s", strings.ReplaceAll(se.Field, " ", "-"), se.Reason), 1)
		if se.Field == "method" {
			msg = strings.Replace(msg, "--method", "--split", 1)
		}
	case errors.Is(err, segment.ErrExists):
		msg += " (use --force to overwrite)"
	case errors.Is(err, segment.ErrLabelOverflow):
		msg += "; use --label-dtype uint32 or auto"
	default:
		return err
	}
	return &hintedError{msg: msg, err: err}
}

// hintedError is an error whose message carries a flag hint.
type hintedError struct {
	msg string
	err error
}

func (e *hintedError) Error() string { return e.msg }

func (e *hintedError) Unwrap() error { return e.err }
