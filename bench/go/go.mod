// bench/go/go.mod - the Go benchmark program (main.go) as a module with no dependencies, so
// `go build` needs no network.
module rill/bench

go 1.19
