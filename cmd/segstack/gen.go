package main

import (
	"errors"
	"fmt"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/spf13/cobra"
)

func init() {
	var (
		shape       string
		seed        uint64
		compression string
		force       bool
	)
	cmd := &cobra.Command{
		Use:   "gen OUT.tif",
		Short: "Write a synthetic uint16 stack of nuclei-like blobs",
		Long: `gen writes a deterministic synthetic stack: soft-edged ellipsoidal nuclei of
varied size and brightness on a noisy background (mean 100, sd 12). The same
--shape and --seed always give the same file.`,
		Example: `  segstack gen cells.tif --shape 64,1024,1024 --seed 1`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := stack.ParseShape(shape)
			if err != nil {
				return fmt.Errorf("--shape: %w", err)
			}
			if int64(s.Len()) > 1<<33 {
				return errors.New("--shape: more than 8 Gi voxels; generate smaller stacks")
			}
			comp, err := tiff.ParseCompression(compression)
			if err != nil {
				return fmt.Errorf("--compression: %w", err)
			}
			out := args[0]
			if err := checkOutput(out, force); err != nil {
				return err
			}
			// Planes are made and written one batch at a time: memory stays
			// at a few planes whatever the stack's size.
			w, err := tiff.Create(out, tiff.WriterOptions{Shape: s, DType: stack.Uint16, Compression: comp})
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			err = synth.NucleiPlanes(s, seed, func(_ int, plane []uint16) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				return tiff.WritePlaneOf(w, plane)
			})
			if err == nil {
				err = w.Close()
			}
			if err != nil {
				w.Abort()
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d uint16, seed %d, %d blobs\n", out, s.Z, s.Y, s.X, seed, synth.BlobCount(s))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&shape, "shape", "16,512,512", "stack shape Z,Y,X")
	fl.Uint64Var(&seed, "seed", 1, "random seed")
	fl.StringVar(&compression, "compression", "none", "none, lzw, deflate or packbits")
	fl.BoolVar(&force, "force", false, "overwrite an existing file")
	root.AddCommand(cmd)
}
