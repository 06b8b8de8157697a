// Package engine makes the handful of Docker Engine API calls that mlops
// needs, through the official Go SDK with API version negotiation. It has no
// notion of compose files or projects. Callers pass complete specs and
// labels, and the package translates them and classifies the engine's errors.
package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/client"
)

// MinAPIVersion is the oldest Engine API version mlops accepts. Health
// check start periods need API 1.29 and network aliases on create need 1.30.
//
// NOTE: only API 1.41 (Docker 20.10) and newer engines have been tested.
const MinAPIVersion = "1.30"

// Client is a connection to one Docker engine.
type Client struct {
	api      *client.Client
	versions Versions
}

// New connects to the engine named by the environment (DOCKER_HOST,
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH; the local socket by default),
// negotiates the API version and checks that the engine is recent enough.
// Errors wrap ErrUnreachable or ErrAPITooOld.
func New(ctx context.Context) (*Client, error) {
	api, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("configure docker client: %w", err)
	}
	c := &Client{api: api}
	if err := c.connect(ctx); err != nil {
		api.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) connect(ctx context.Context) error {
	ping, err := c.api.Ping(ctx)
	if err != nil {
		return c.unreachable(err)
	}
	c.api.NegotiateAPIVersionPing(ping)

	v, err := c.api.ServerVersion(ctx)
	if err != nil {
		return c.unreachable(err)
	}
	c.versions = Versions{
		Engine:     v.Version,
		APIMax:     v.APIVersion,
		APIMin:     v.MinAPIVersion,
		Negotiated: c.api.ClientVersion(),
		OS:         v.Os,
		Arch:       v.Arch,
	}
	return checkAPIVersion(v.Version, v.APIVersion)
}

// checkAPIVersion rejects an engine whose newest API is below MinAPIVersion.
func checkAPIVersion(engineVersion, apiVersion string) error {
	if versions.LessThan(apiVersion, MinAPIVersion) {
		return fmt.Errorf("%w: docker engine %s serves API %s, mlops needs API %s or newer; upgrade Docker Engine",
			ErrAPITooOld, engineVersion, apiVersion, MinAPIVersion)
	}
	return nil
}

func (c *Client) unreachable(err error) error {
	host := c.api.DaemonHost()
	if client.IsErrConnectionFailed(err) || errors.Is(err, context.DeadlineExceeded) {
		// The SDK's own message repeats the address and adds nothing else.
		return fmt.Errorf("%w at %s: start Docker, or set DOCKER_HOST to a running engine",
			ErrUnreachable, host)
	}
	return fmt.Errorf("%w at %s: %v; check that your user may use the Docker socket, or set DOCKER_HOST",
		ErrUnreachable, host, err)
}

// Versions returns the engine and API versions found when connecting.
func (c *Client) Versions() Versions {
	return c.versions
}

// Host returns the engine address in use, such as unix:///var/run/docker.sock.
func (c *Client) Host() string {
	return c.api.DaemonHost()
}

// Close releases the client's idle connections.
func (c *Client) Close() error {
	return c.api.Close()
}
