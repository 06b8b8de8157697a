package engine

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
)

// CreateNetwork creates a bridge network and returns its ID.
func (c *Client) CreateNetwork(ctx context.Context, spec NetworkSpec) (string, error) {
	resp, err := c.api.NetworkCreate(ctx, spec.Name, network.CreateOptions{
		Driver:   "bridge",
		Internal: spec.Internal,
		Labels:   spec.Labels,
	})
	if err != nil {
		return "", fmt.Errorf("create network %s: %w", spec.Name, classify(err))
	}
	return resp.ID, nil
}

// ListNetworks returns the networks that carry every label in labels
// (a value of "" matches any value).
func (c *Client) ListNetworks(ctx context.Context, labels map[string]string) ([]Network, error) {
	list, err := c.api.NetworkList(ctx, network.ListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", classify(err))
	}
	out := make([]Network, 0, len(list))
	for _, n := range list {
		out = append(out, Network{ID: n.ID, Name: n.Name, Internal: n.Internal, Labels: n.Labels})
	}
	return out, nil
}

// FindNetwork returns the network with exactly this name, with any owner or
// none, or an error wrapping ErrNotFound.
func (c *Client) FindNetwork(ctx context.Context, name string) (Network, error) {
	n, err := c.api.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return Network{}, fmt.Errorf("inspect network %s: %w", name, classify(err))
	}
	// Inspect also matches ID prefixes, which are never what a caller means.
	if n.Name != name {
		return Network{}, fmt.Errorf("network %s: %w", name, ErrNotFound)
	}
	return Network{ID: n.ID, Name: n.Name, Internal: n.Internal, Labels: n.Labels}, nil
}

// RemoveNetwork removes a network by ID or name.
func (c *Client) RemoveNetwork(ctx context.Context, id string) error {
	if err := c.api.NetworkRemove(ctx, id); err != nil {
		return fmt.Errorf("remove network %s: %w", shortID(id), classify(err))
	}
	return nil
}

// CreateVolume creates a named local volume.
func (c *Client) CreateVolume(ctx context.Context, spec VolumeSpec) error {
	if _, err := c.api.VolumeCreate(ctx, volume.CreateOptions{Name: spec.Name, Labels: spec.Labels}); err != nil {
		return fmt.Errorf("create volume %s: %w", spec.Name, classify(err))
	}
	return nil
}

// ListVolumes returns the volumes that carry every label in labels
// (a value of "" matches any value).
func (c *Client) ListVolumes(ctx context.Context, labels map[string]string) ([]Volume, error) {
	resp, err := c.api.VolumeList(ctx, volume.ListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", classify(err))
	}
	out := make([]Volume, 0, len(resp.Volumes))
	for _, v := range resp.Volumes {
		if v != nil {
			out = append(out, Volume{Name: v.Name, Labels: v.Labels})
		}
	}
	return out, nil
}

// FindVolume returns the volume with this name, with any owner or none, or
// an error wrapping ErrNotFound.
func (c *Client) FindVolume(ctx context.Context, name string) (Volume, error) {
	v, err := c.api.VolumeInspect(ctx, name)
	if err != nil {
		return Volume{}, fmt.Errorf("inspect volume %s: %w", name, classify(err))
	}
	return Volume{Name: v.Name, Labels: v.Labels}, nil
}

// RemoveVolume removes a named volume.
func (c *Client) RemoveVolume(ctx context.Context, name string) error {
	if err := c.api.VolumeRemove(ctx, name, false); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, classify(err))
	}
	return nil
}
