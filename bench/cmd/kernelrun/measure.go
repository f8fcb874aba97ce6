package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/segstack/segstack/bench/internal/npy"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

func loadU32(path string) (*stack.Volume[uint32], error) {
	a, err := npy.Read(path)
	if err != nil {
		return nil, err
	}
	if a.Descr != "<u4" {
		return nil, fmt.Errorf("%s: want uint32, have %s", path, a.Descr)
	}
	d, err := a.Labels()
	if err != nil {
		return nil, err
	}
	return volume(a.Shape, d)
}

// bindMeasure prepares a measurement kernel (measure-mean, measure-std,
// measure-com, measure-find_objects) on the labels of mask3d with the input
// as intensity, every label 1..max in the index as the anchors pass it.
// The value reported is a checksum the anchors compute the same way: the
// sum over the labels of the statistic (of every coordinate, of every box
// bound).
func bindMeasure(ctx context.Context, k string, need func(string) error, input func() *stack.Volume[float32],
	labels3d func() *stack.Volume[uint32]) (job, error) {
	_, stat, _ := strings.Cut(k, "-")
	if err := need("input"); err != nil {
		return job{}, err
	}
	if err := need("labels3d"); err != nil {
		return job{}, err
	}
	img, lab := input(), labels3d()
	var sum float64
	stats := map[string]kernels.MeasureSet{
		"mean": kernels.MeasureMean, "std": kernels.MeasureStandardDeviation, "com": kernels.MeasureCenterOfMass,
	}
	if stat == "find_objects" {
		return job{
			run: func() error {
				boxes, err := kernels.FindObjects(ctx, lab, 0)
				sum = 0
				for _, b := range boxes {
					for a := range 3 {
						sum += float64(b.Lo[a] + b.Hi[a])
					}
				}
				return err
			},
			val: func() float64 { return sum },
		}, nil
	}
	what, ok := stats[stat]
	if !ok {
		return job{}, errUnsupported
	}
	return job{
		run: func() error {
			index, err := kernels.AllLabels(ctx, lab)
			if err != nil {
				return err
			}
			m, err := kernels.Measure(ctx, lab, img, index, what)
			if err != nil {
				return err
			}
			sum = 0
			for i := range index {
				switch stat {
				case "mean":
					sum += m.Mean[i]
				case "std":
					sum += m.StandardDeviation[i]
				case "com":
					sum += m.CenterOfMass[i][0] + m.CenterOfMass[i][1] + m.CenterOfMass[i][2]
				}
			}
			return nil
		},
		val: func() float64 { return sum },
	}, nil
}
