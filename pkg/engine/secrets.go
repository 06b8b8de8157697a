package engine

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/swarm"
)

// Object is a swarm secret or config as listed by the engine; the engine
// never returns a secret's data.
type Object struct {
	ID     string
	Name   string
	Labels map[string]string
}

// CreateSecret stores data as a swarm secret and returns its ID. Secrets are
// immutable: a changed value needs a new name.
func (c *Client) CreateSecret(ctx context.Context, name string, data []byte, labels map[string]string) (string, error) {
	resp, err := c.api.SecretCreate(ctx, swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: name, Labels: labels},
		Data:        data,
	})
	if err != nil {
		return "", fmt.Errorf("create secret %s: %w", name, classify(err))
	}
	return resp.ID, nil
}

// ListSecrets returns the secrets that carry every label in labels (a value
// of "" matches any value).
func (c *Client) ListSecrets(ctx context.Context, labels map[string]string) ([]Object, error) {
	list, err := c.api.SecretList(ctx, swarm.SecretListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", classify(err))
	}
	out := make([]Object, 0, len(list))
	for _, s := range list {
		out = append(out, Object{ID: s.ID, Name: s.Spec.Name, Labels: s.Spec.Labels})
	}
	return out, nil
}

// RemoveSecret removes a secret. The engine rejects it with ErrConflict
// while a service still uses the secret.
func (c *Client) RemoveSecret(ctx context.Context, id string) error {
	if err := c.api.SecretRemove(ctx, id); err != nil {
		return fmt.Errorf("remove secret %s: %w", shortID(id), classify(err))
	}
	return nil
}

// CreateConfig stores data as a swarm config and returns its ID. Configs are
// immutable like secrets but readable through the API, so they suit
// non-secret files.
func (c *Client) CreateConfig(ctx context.Context, name string, data []byte, labels map[string]string) (string, error) {
	resp, err := c.api.ConfigCreate(ctx, swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: name, Labels: labels},
		Data:        data,
	})
	if err != nil {
		return "", fmt.Errorf("create config %s: %w", name, classify(err))
	}
	return resp.ID, nil
}

// ListConfigs returns the configs that carry every label in labels (a value
// of "" matches any value).
func (c *Client) ListConfigs(ctx context.Context, labels map[string]string) ([]Object, error) {
	list, err := c.api.ConfigList(ctx, swarm.ConfigListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, fmt.Errorf("list configs: %w", classify(err))
	}
	out := make([]Object, 0, len(list))
	for _, s := range list {
		out = append(out, Object{ID: s.ID, Name: s.Spec.Name, Labels: s.Spec.Labels})
	}
	return out, nil
}

// RemoveConfig removes a config. The engine rejects it with ErrConflict
// while a service still uses the config.
func (c *Client) RemoveConfig(ctx context.Context, id string) error {
	if err := c.api.ConfigRemove(ctx, id); err != nil {
		return fmt.Errorf("remove config %s: %w", shortID(id), classify(err))
	}
	return nil
}
