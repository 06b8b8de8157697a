package engine

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// LogOptions selects which log lines Logs returns.
type LogOptions struct {
	// Follow keeps streaming new lines until ctx ends or the container stops.
	Follow bool
	// Tail is the number of most recent lines to start from; negative means all.
	Tail int
	// Timestamps prefixes each line with the engine's RFC 3339 timestamp.
	Timestamps bool
}

// Logs copies a container's output to stdout and stderr. Containers without
// a TTY send both streams multiplexed, so the stream is split with stdcopy.
func (c *Client) Logs(ctx context.Context, id string, opts LogOptions, stdout, stderr io.Writer) error {
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return fmt.Errorf("inspect container %s: %w", shortID(id), classify(err))
	}
	tail := "all"
	if opts.Tail >= 0 {
		tail = strconv.Itoa(opts.Tail)
	}
	body, err := c.api.ContainerLogs(ctx, id, container.LogsOptions{
		ShowStdout: true,
		ShowStderr: true,
		Follow:     opts.Follow,
		Tail:       tail,
		Timestamps: opts.Timestamps,
	})
	if err != nil {
		return fmt.Errorf("read logs of container %s: %w", shortID(id), classify(err))
	}
	defer body.Close()

	if info.Config != nil && info.Config.Tty {
		_, err = io.Copy(stdout, body)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, body)
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("read logs of container %s: %w", shortID(id), err)
	}
	return nil
}
