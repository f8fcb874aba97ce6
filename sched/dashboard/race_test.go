//go:build race

package dashboard

func init() { raceEnabled = true }
