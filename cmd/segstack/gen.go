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
		density     float64
		truth       string
		truthLevel  float64
	)
	cmd := &cobra.Command{
		Use:   "gen OUT.tif",
		Short: "Write a synthetic uint16 stack of nuclei-like blobs",
		Long: `gen writes a deterministic synthetic stack: soft-edged ellipsoidal nuclei of
varied size and brightness on a noisy background (mean 100, sd 12). The same
--shape and --seed always give the same file. --density packs the nuclei so
that they touch (the fraction of the volume they fill, up to 0.6), and
--truth writes the ground-truth labels of such a stack: each nucleus where it
shows and is at least --truth-level above the background.`,
		Example: `  segstack gen cells.tif --shape 64,1024,1024 --seed 1
  segstack gen dense.tif --shape 16,512,512 --density 0.35 --truth truth.tif`,
		Args: cobra.ExactArgs(1),
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
			blobs, err := synth.DenseBlobs(s, seed, density)
			if err != nil {
				return fmt.Errorf("--density: %w", err)
			}
			if truth != "" {
				if err := checkOutput(truth, force); err != nil {
					return err
				}
			}
			// Planes are made and written one batch at a time: memory stays
			// at a few planes whatever the stack's size.
			w, err := tiff.Create(out, tiff.WriterOptions{Shape: s, DType: stack.Uint16, Compression: comp})
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			err = synth.NucleiDensePlanes(s, seed, density, func(_ int, plane []uint16) error {
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
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d uint16, seed %d, %d blobs\n", out, s.Z, s.Y, s.X, seed, len(blobs))
			if truth == "" {
				return nil
			}
			if int64(s.Len()) > 1<<30 {
				return errors.New("--truth: the ground truth is made in memory; use a stack of at most 1 Gi voxels")
			}
			tv, err := synth.Truth(s, seed, density, truthLevel)
			if err != nil {
				return err
			}
			if err := tiff.WriteVolume(ctx, truth, tv, tiff.WriterOptions{}); err != nil {
				return err
			}
			perPlane, total := synth.CountObjects(tv, 1)
			sum := 0
			for _, n := range perPlane {
				sum += n
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ground truth at level %g, %d nuclei in the volume, %d nucleus sections over the planes\n", truth, truthLevel, total, sum)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&shape, "shape", "16,512,512", "stack shape Z,Y,X")
	fl.Uint64Var(&seed, "seed", 1, "random seed")
	fl.StringVar(&compression, "compression", "none", "none, lzw, deflate or packbits")
	fl.BoolVar(&force, "force", false, "overwrite an existing file")
	fl.Float64Var(&density, "density", 0, "fraction of the volume the nuclei fill, packed so they touch (0 < D <= 0.6); 0: the sparse default")
	fl.StringVar(&truth, "truth", "", "also write the ground-truth labels (uint32 TIFF) of the stack")
	fl.Float64Var(&truthLevel, "truth-level", 0, "brightness above the background from which a nucleus counts in --truth")
	root.AddCommand(cmd)
}
