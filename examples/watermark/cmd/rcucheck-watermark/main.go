// Command rcucheck-watermark is "rcucheck gate" with the watermark design
// registered: how a user checks their own Go design from CI.
//
//	go run ./examples/watermark/cmd/rcucheck-watermark examples/watermark/gate.toml
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/rcucheck/rcucheck/examples/watermark"
	"github.com/rcucheck/rcucheck/gate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	reg, err := watermark.Registry()
	if err != nil {
		fmt.Fprintf(os.Stderr, "rcucheck-watermark: %v\n", err)
		os.Exit(gate.ExitUsage)
	}
	code := gate.Main(ctx, os.Stdout, os.Stderr, os.Args[1:], reg)
	stop()
	os.Exit(code)
}
