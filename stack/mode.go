package stack

import "fmt"

// Mode says how values beyond a volume's edge are made up, with the
// meanings of scipy.ndimage's filter modes. For input "a b c d":
//
//	Reflect  d c b a | a b c d | d c b a   (edge sample repeated; the default)
//	Nearest  a a a a | a b c d | d d d d
//	Mirror   d c b   | a b c d | c b a     (edge sample not repeated)
//	Constant k k k k | a b c d | k k k k   (k is cval)
//	Wrap     a b c d | a b c d | a b c d
type Mode int

// Boundary modes. Reflect is the zero value, as it is scipy's default.
const (
	Reflect Mode = iota
	Nearest
	Mirror
	Constant
	Wrap
)

var modeNames = [...]string{"reflect", "nearest", "mirror", "constant", "wrap"}

func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}

// ParseMode accepts the names String returns; "grid-wrap" is an alias of
// "wrap" and "grid-constant" of "constant", as they are for scipy's filters.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "grid-wrap":
		return Wrap, nil
	case "grid-constant":
		return Constant, nil
	case "grid-mirror":
		return Reflect, nil
	}
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("stack: unknown boundary mode %q (want reflect, nearest, mirror, constant or wrap)", s)
}

// MapIndex maps a coordinate i, possibly outside [0, n), to the coordinate
// inside whose value the mode assigns to it. ok is false when the mode is
// Constant and i is outside, so the caller uses cval. Any distance from the
// edge is handled, including halos wider than n.
func (m Mode) MapIndex(i, n int) (j int, ok bool) {
	if i >= 0 && i < n {
		return i, true
	}
	switch m {
	case Nearest:
		if i < 0 {
			return 0, true
		}
		return n - 1, true
	case Mirror:
		if n == 1 {
			return 0, true
		}
		p := 2*n - 2
		j = mod(i, p)
		if j >= n {
			j = p - j
		}
		return j, true
	case Constant:
		return 0, false
	case Wrap:
		return mod(i, n), true
	default: // Reflect
		p := 2 * n
		j = mod(i, p)
		if j >= n {
			j = p - 1 - j
		}
		return j, true
	}
}

func mod(i, n int) int {
	r := i % n
	if r < 0 {
		r += n
	}
	return r
}
