package engine

import (
	"context"
	"fmt"
)

// ContainerAddresses returns the IPv4 address of a container on each
// network it is attached to, keyed by network name. A stopped container has
// no addresses, so the map is empty.
func (c *Client) ContainerAddresses(ctx context.Context, id string) (map[string]string, error) {
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inspect container %s: %w", shortID(id), classify(err))
	}
	out := map[string]string{}
	if info.NetworkSettings == nil {
		return out, nil
	}
	for name, ep := range info.NetworkSettings.Networks {
		if ep != nil && ep.IPAddress != "" {
			out[name] = ep.IPAddress
		}
	}
	return out, nil
}
