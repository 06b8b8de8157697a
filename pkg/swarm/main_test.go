package swarm

import (
	"fmt"
	"os"
	"testing"

	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
)

// TestMain keeps other packages' engine tests off the engine while the swarm tests
// initialise and leave a swarm, which rebuilds the engine's networking.
func TestMain(m *testing.M) {
	if err := enginetest.LockExclusive(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
