package kernels

import "fmt"

// Counts returns the histogram's bin counts, for a histogram that
// travels between processes: AddCounts adds them to one made over the same
// lo and hi, as Merge adds a histogram.
func (h *OtsuHistogram) Counts() []int64 { return append([]int64(nil), h.counts[:]...) }

// AddCounts adds counts, the Counts of a histogram made over h's lo and hi,
// to h's. Counts of another length or below zero are refused with an error
// wrapping ErrInvalid, and h is left as it was.
func (h *OtsuHistogram) AddCounts(counts []int64) error {
	if len(counts) != otsuBins {
		return fmt.Errorf("%w: %d Otsu histogram counts, want %d", ErrInvalid, len(counts), otsuBins)
	}
	for i, c := range counts {
		if c < 0 {
			return fmt.Errorf("%w: Otsu histogram count %d of bin %d", ErrInvalid, c, i)
		}
	}
	for i, c := range counts {
		h.counts[i] += c
	}
	return nil
}
