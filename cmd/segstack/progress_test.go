package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRenderBar(t *testing.T) {
	t.Parallel()
	require.Equal(t, "planes 0/64 [>                             ]   0.0% 0.0 planes/s ETA --",
		renderBar("planes", "planes", 0, 64, 0))
	require.Equal(t, "planes 16/64 [=======>                      ]  25.0% 8.0 planes/s ETA 6s",
		renderBar("planes", "planes", 16, 64, 2*time.Second))
	require.Equal(t, "planes 64/64 [==============================] 100.0% 32.0 planes/s ETA 0s",
		renderBar("planes", "planes", 64, 64, 2*time.Second))
	var p *progressBar // a nil bar (not a terminal, or --quiet) does nothing
	p.update(1, 2)
	p.finish()
	require.Nil(t, newProgress("x", "y", true))
}
