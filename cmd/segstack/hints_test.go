package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
)

// The CLI names the flag that answers each library error, keeping the
// library's context around it and the error chain for errors.Is.
func TestFlagHints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
		is   error
	}{
		{fmt.Errorf("labels.tif: %w", segment.ErrExists), "labels.tif: output exists (use --force to overwrite)", segment.ErrExists},
		{fmt.Errorf("plane 3 has label 70000: %w", segment.ErrLabelOverflow), "plane 3 has label 70000: label exceeds 65535; use --label-dtype uint32 or auto", segment.ErrLabelOverflow},
		{fmt.Errorf("two.tif: %w", &segment.ChannelError{Channels: 3, Requested: -1}), "two.tif: the stack has 3 channels: choose one with --channel 0..2", segment.ErrChannel},
		{fmt.Errorf("two.tif: %w", &segment.ChannelError{Channels: 3, Requested: 5}), "two.tif: channel 5 requested, but the stack has 3 channels (0..2)", segment.ErrChannel},
		{&segment.ConnectivityError{Connectivity: 26, Mode: segment.Mode2D}, "connectivity 26 is not a 2d connectivity (want 4 or 8; 6, 18 and 26 need --mode 3d)", kernels.ErrConnectivity},
		{&segment.ConnectivityError{Connectivity: 4, Mode: segment.Mode3D}, "connectivity 4 is not a 3d connectivity (want 6, 18 or 26; 4 and 8 need --mode 2d)", kernels.ErrConnectivity},
	}
	for _, tc := range tests {
		got := withFlagHints(tc.err)
		require.EqualError(t, got, tc.want)
		require.ErrorIs(t, got, tc.is)
	}
	plain := errors.New("something else")
	require.Same(t, plain, withFlagHints(plain))
	require.NoError(t, withFlagHints(nil))
}
