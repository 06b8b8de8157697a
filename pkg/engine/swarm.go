package engine

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
)

// ErrNotManager means the engine is not a manager of an active swarm, so it
// cannot create or list services.
var ErrNotManager = errors.New("docker engine is not a swarm manager")

// SwarmState is the engine's membership in a swarm.
type SwarmState struct {
	// NodeID is empty when the engine is in no swarm.
	NodeID string
	// LocalState is the engine's word: inactive, pending, active, error or locked.
	LocalState string
	// Manager reports whether this engine can run swarm control calls.
	Manager bool
	// Nodes and Managers count the swarm's members, 0 outside a swarm.
	Nodes    int
	Managers int
	// Error is the engine's message when LocalState is error.
	Error string
}

// Active reports whether the engine is an active member of a swarm.
func (s SwarmState) Active() bool {
	return s.LocalState == string(swarm.LocalNodeStateActive)
}

// SwarmState returns the engine's swarm membership.
func (c *Client) SwarmState(ctx context.Context) (SwarmState, error) {
	info, err := c.api.Info(ctx)
	if err != nil {
		return SwarmState{}, fmt.Errorf("read engine info: %w", classify(err))
	}
	s := info.Swarm
	return SwarmState{
		NodeID:     s.NodeID,
		LocalState: string(s.LocalNodeState),
		Manager:    s.ControlAvailable,
		Nodes:      s.Nodes,
		Managers:   s.Managers,
		Error:      s.Error,
	}, nil
}

// InitSwarm makes the engine the single manager of a new swarm that
// advertises advertiseAddr (such as "127.0.0.1") to other nodes, and returns
// the node ID.
func (c *Client) InitSwarm(ctx context.Context, advertiseAddr string) (string, error) {
	// The manager listens on the advertised address only, so a single-node
	// trial on 127.0.0.1 opens no port on the machine's other interfaces.
	id, err := c.api.SwarmInit(ctx, swarm.InitRequest{
		ListenAddr:    net.JoinHostPort(advertiseAddr, "2377"),
		AdvertiseAddr: advertiseAddr,
	})
	if err != nil {
		return "", fmt.Errorf("initialise swarm: %w", classify(err))
	}
	return id, nil
}

// LeaveSwarm takes the engine out of its swarm. A manager needs force, which
// also ends a single-node swarm and removes all its services.
func (c *Client) LeaveSwarm(ctx context.Context, force bool) error {
	if err := c.api.SwarmLeave(ctx, force); err != nil {
		return fmt.Errorf("leave swarm: %w", classify(err))
	}
	return nil
}

// OverlayNetworkSpec describes a swarm-scoped overlay network.
type OverlayNetworkSpec struct {
	Name string
	// Internal networks have no route out of the swarm.
	Internal bool
	// Attachable lets plain containers join, not only services.
	Attachable bool
	// Encrypted turns on IPsec encryption of the network's traffic between
	// nodes (the overlay driver's "encrypted" option).
	Encrypted bool
	Labels    map[string]string
}

// CreateOverlayNetwork creates an overlay network and returns its ID. It
// needs a swarm manager.
func (c *Client) CreateOverlayNetwork(ctx context.Context, spec OverlayNetworkSpec) (string, error) {
	opts := map[string]string{}
	if spec.Encrypted {
		opts["encrypted"] = ""
	}
	resp, err := c.api.NetworkCreate(ctx, spec.Name, network.CreateOptions{
		Driver:     "overlay",
		Scope:      "swarm",
		Internal:   spec.Internal,
		Attachable: spec.Attachable,
		Options:    opts,
		Labels:     spec.Labels,
	})
	if err != nil {
		return "", fmt.Errorf("create overlay network %s: %w", spec.Name, classify(err))
	}
	return resp.ID, nil
}
