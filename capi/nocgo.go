//go:build !cgo

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "capi is a shared library: build it with CGO_ENABLED=1 go build -buildmode=c-shared -o libsegstack.so ./capi")
	os.Exit(2)
}
