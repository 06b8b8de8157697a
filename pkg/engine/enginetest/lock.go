package enginetest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// lockFile is shared by every test binary of this module on the machine.
var lockFile = filepath.Join(os.TempDir(), "mlops-engine-tests.lock")

var (
	lockOnce sync.Once
	lockErr  error
)

// lockEngine takes the engine lock for the rest of this test process: shared for
// tests that only create labelled containers, exclusive for swarm tests. go test
// runs packages in parallel, and a swarm init or leave rebuilds the engine's
// networking under the containers of other packages (their embedded DNS stopped
// resolving service names during a swarm test). The first call in a process
// decides the mode; the lock is released when the process exits.
func lockEngine(exclusive bool) error {
	lockOnce.Do(func() {
		f, err := os.OpenFile(lockFile, os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			lockErr = fmt.Errorf("open engine test lock %s: %w", lockFile, err)
			return
		}
		mode := syscall.LOCK_SH
		if exclusive {
			mode = syscall.LOCK_EX
		}
		if err := syscall.Flock(int(f.Fd()), mode); err != nil {
			lockErr = fmt.Errorf("lock %s: %w", lockFile, err)
		}
		// f stays open on purpose: closing it would release the lock.
	})
	return lockErr
}

// LockExclusive makes this test process the only one using the engine until it
// exits. Swarm tests call it from TestMain before any test runs.
func LockExclusive() error {
	return lockEngine(true)
}
