package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
)

// Progress is one message from a pull, build or import stream.
type Progress struct {
	// ID is the layer ID for pulls, empty otherwise.
	ID string
	// Status is the engine's message, such as "Downloading" or a build step.
	Status string
	// Current and Total are bytes done and expected, 0 when unknown.
	Current, Total int64
}

// Image is a local image.
type Image struct {
	ID         string
	Labels     map[string]string
	User       string
	Entrypoint []string
}

// InspectImage returns the local image for ref, or an error wrapping
// ErrNotFound when the engine has no such image.
func (c *Client) InspectImage(ctx context.Context, ref string) (Image, error) {
	info, err := c.api.ImageInspect(ctx, ref)
	if err != nil {
		return Image{}, fmt.Errorf("inspect image %s: %w", ref, classify(err))
	}
	img := Image{ID: info.ID}
	if info.Config != nil {
		img.Labels = info.Config.Labels
		img.User = info.Config.User
		img.Entrypoint = info.Config.Entrypoint
	}
	return img, nil
}

// PullImage pulls ref from its registry and reports progress. The engine
// sends pull errors inside the response stream, so the stream is read to its
// end and its first error returned.
func (c *Client) PullImage(ctx context.Context, ref string, progress func(Progress)) error {
	body, err := c.api.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return fmt.Errorf("pull image %s: %w", ref, classify(err))
	}
	defer body.Close()
	if err := readStream(body, progress); err != nil {
		return fmt.Errorf("pull image %s: %w", ref, err)
	}
	return nil
}

// BuildImage builds an image from a tar build context that contains a
// Dockerfile at its root and tags it with tag. It never pulls a newer base
// image. Build errors arrive inside the stream and are returned.
//
// The build cache is off: with the classic builder, concurrent builds that
// share cached layers fail when one of the images is removed mid-build.
func (c *Client) BuildImage(
	ctx context.Context,
	buildContext io.Reader,
	tag string,
	labels map[string]string,
	progress func(Progress),
) error {
	resp, err := c.api.ImageBuild(ctx, buildContext, build.ImageBuildOptions{
		Tags:        []string{tag},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		NoCache:     true,
		Labels:      labels,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return fmt.Errorf("build image %s: %w", tag, classify(err))
	}
	defer resp.Body.Close()
	if err := readStream(resp.Body, progress); err != nil {
		return fmt.Errorf("build image %s: %w", tag, err)
	}
	return nil
}

// ImportImage creates image ref from a tar of a root filesystem. Each entry
// of changes is a Dockerfile instruction applied to the image config, such
// as "USER 65532" or `ENTRYPOINT ["/bin/app"]`.
func (c *Client) ImportImage(ctx context.Context, rootfs io.Reader, ref string, changes []string) error {
	src := image.ImportSource{Source: rootfs, SourceName: "-"}
	body, err := c.api.ImageImport(ctx, src, ref, image.ImportOptions{Changes: changes})
	if err != nil {
		return fmt.Errorf("import image %s: %w", ref, classify(err))
	}
	defer body.Close()
	if err := readStream(body, nil); err != nil {
		return fmt.Errorf("import image %s: %w", ref, err)
	}
	return nil
}

// RemoveImage removes the image ref. Images still used by a container are
// left in place and give an error wrapping ErrConflict.
func (c *Client) RemoveImage(ctx context.Context, ref string) error {
	if _, err := c.api.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil {
		return fmt.Errorf("remove image %s: %w", ref, classify(err))
	}
	return nil
}

// readStream decodes a JSON message stream to its end, forwarding progress
// and returning the first error message the engine sent.
func readStream(r io.Reader, progress func(Progress)) error {
	dec := json.NewDecoder(r)
	var firstErr error
	for {
		var msg jsonmessage.JSONMessage
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			return firstErr
		}
		if err != nil {
			return fmt.Errorf("read engine response: %w", err)
		}
		if msg.Error != nil && firstErr == nil {
			firstErr = errors.New(msg.Error.Message)
		}
		if progress == nil {
			continue
		}
		p := Progress{ID: msg.ID, Status: strings.TrimRight(msg.Status+msg.Stream, "\n")}
		if msg.Progress != nil {
			p.Current, p.Total = msg.Progress.Current, msg.Progress.Total
		}
		if p.Status != "" {
			progress(p)
		}
	}
}
