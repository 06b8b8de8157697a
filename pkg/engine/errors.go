package engine

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
)

// Errors that callers test with errors.Is.
var (
	// ErrUnreachable means no engine responded at the configured address.
	ErrUnreachable = errors.New("docker engine not reachable")
	// ErrAPITooOld means the engine's newest API version is below MinAPIVersion.
	ErrAPITooOld = errors.New("docker engine API too old")
	// ErrNotFound means the named object does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a name is already taken or the object is in use.
	ErrConflict = errors.New("conflict")
	// ErrPortInUse means a host port that a container publishes is taken.
	ErrPortInUse = errors.New("port already in use")
)

// PortInUseError names the host port that could not be bound.
type PortInUseError struct {
	// Port is the host port as the engine reported it, such as "0.0.0.0:8080".
	Port string
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("host port %s already in use: %v", e.Port, e.Err)
}

// Is makes errors.Is(err, ErrPortInUse) true.
func (e *PortInUseError) Is(target error) bool { return target == ErrPortInUse }

func (e *PortInUseError) Unwrap() error { return e.Err }

// Docker 20.10 reports a taken port either from its userland proxy
// ("listen tcp4 0.0.0.0:8080: bind: address already in use") or from its
// port allocator ("Bind for 0.0.0.0:8080 failed: port is already allocated").
var (
	listenAddrPattern = regexp.MustCompile(`listen (?:tcp|udp)[46]? ([^\s:]*:\d+): bind: address already in use`)
	bindForPattern    = regexp.MustCompile(`Bind for ([^\s]+:\d+) failed: port is already allocated`)
)

// classify wraps err with the package's sentinel errors so that callers need
// not import the SDK's error helpers.
func classify(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, p := range []*regexp.Regexp{listenAddrPattern, bindForPattern} {
		if m := p.FindStringSubmatch(msg); m != nil {
			return &PortInUseError{Port: m[1], Err: err}
		}
	}
	if strings.Contains(msg, "address already in use") || strings.Contains(msg, "port is already allocated") {
		return &PortInUseError{Port: "?", Err: err}
	}
	switch {
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}
