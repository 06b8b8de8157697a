package engine_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/versions"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
)

func TestNew_NegotiatesAPIVersion(t *testing.T) {
	c := enginetest.Connect(t)
	v := c.Versions()
	if v.Engine == "" || v.APIMax == "" {
		t.Fatalf("Versions() = %+v, want engine and API versions set", v)
	}
	if v.Negotiated == "" {
		t.Fatalf("Versions().Negotiated is empty, want the negotiated API version")
	}
	// Negotiation never picks a version newer than the engine serves.
	if v.Negotiated != v.APIMax && !versions.LessThan(v.Negotiated, v.APIMax) {
		t.Errorf("negotiated API %s is newer than the engine's %s", v.Negotiated, v.APIMax)
	}
}

func TestNew_UnreachableEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := engine.New(ctx)
	if !errors.Is(err, engine.ErrUnreachable) {
		t.Fatalf("New() error = %v, want ErrUnreachable", err)
	}
	for _, want := range []string{"start Docker", "DOCKER_HOST", "/nonexistent/docker.sock"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New() error %q does not mention %q", err, want)
		}
	}
}

func TestPullImage_MissingImageErrorFromStream(t *testing.T) {
	c := enginetest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A registry address on loopback with nothing listening keeps the
	// engine's pull attempt on this machine.
	ref := "127.0.0.1:1/mlops-test-no-such-image:0"
	_, err := c.InspectImage(ctx, ref)
	if !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("InspectImage(%s) error = %v, want ErrNotFound", ref, err)
	}
	err = c.PullImage(ctx, ref, nil)
	if err == nil {
		t.Fatalf("PullImage(%s) succeeded, want an error", ref)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), ref) {
		t.Errorf("PullImage error %q does not name the image", err)
	}
}

func TestLogs_Demultiplexes(t *testing.T) {
	c := enginetest.Connect(t)
	project := enginetest.Project(t, c)
	ref := enginetest.UniqueTag(t, "mlops-test-redis")
	enginetest.RedisImage(t, c, ref)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	labels := enginetest.Labels()
	labels[engine.LabelProject] = project
	id, err := c.CreateContainer(ctx, engine.ContainerSpec{
		Name:   project + "-logs-1",
		Image:  ref,
		Cmd:    []string{"/usr/bin/redis-server", "--port", "0", "--unknown-option-for-test"},
		Labels: labels,
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := c.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	waitExited(t, c, id)

	var stdout, stderr bytes.Buffer
	if err := c.Logs(ctx, id, engine.LogOptions{Tail: -1}, &stdout, &stderr); err != nil {
		t.Fatalf("Logs: %v", err)
	}
	all := stdout.String() + stderr.String()
	if !strings.Contains(all, "unknown-option-for-test") {
		t.Errorf("logs %q do not contain redis-server's complaint about the bad option", all)
	}
	if strings.ContainsRune(all, '\x01') || strings.ContainsRune(all, '\x02') {
		t.Errorf("logs contain stdcopy frame headers: %q", all)
	}
}

func TestCreateContainer_NameConflict(t *testing.T) {
	c := enginetest.Connect(t)
	project := enginetest.Project(t, c)
	ref := enginetest.UniqueTag(t, "mlops-test-redis")
	enginetest.RedisImage(t, c, ref)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	labels := enginetest.Labels()
	labels[engine.LabelProject] = project
	spec := engine.ContainerSpec{Name: project + "-dup-1", Image: ref, Labels: labels}
	if _, err := c.CreateContainer(ctx, spec); err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	_, err := c.CreateContainer(ctx, spec)
	if !errors.Is(err, engine.ErrConflict) {
		t.Fatalf("second CreateContainer error = %v, want ErrConflict", err)
	}
}

func waitExited(t *testing.T, c *engine.Client, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := c.InspectContainer(context.Background(), id)
		if err != nil {
			t.Fatalf("InspectContainer: %v", err)
		}
		if !st.Running && st.Status == "exited" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("container %s did not exit within 30s", id)
}
