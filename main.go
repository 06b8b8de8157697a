// Command mlops trains, signs, serves and operates machine-learning models on a
// team's own machines.
package main

import (
	"os"

	"github.com/mlops-dev/mlops/cmd"
)

// version and commit are set by the Makefile and goreleaser through -ldflags.
var (
	version = "dev"
	commit  = "none"
)

func main() {
	os.Exit(cmd.Main(version, commit))
}
