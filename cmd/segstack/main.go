// Command segstack segments microscopy Z-stacks: Gaussian smoothing,
// thresholding and connected-component labelling of TIFF stacks, streamed
// plane by plane on every core (and on a GPU in builds with the cuda tag).
//
// Each subcommand lives in a file of its own and adds itself to root in an
// init function.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

var root = &cobra.Command{
	Use:           "segstack",
	Short:         "Segment microscopy Z-stacks: smooth, threshold and label TIFF stacks",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		if interrupted || errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "segstack: interrupted; partial outputs removed")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "segstack:", withFlagHints(err))
		os.Exit(1)
	}
}
