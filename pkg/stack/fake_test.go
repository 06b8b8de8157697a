package stack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// fakeEngine is an in-memory engine for tests of Up's decisions that run
// without Docker. Containers start healthy at once.
type fakeEngine struct {
	mu         sync.Mutex
	images     map[string]string // ref -> ID
	containers map[string]*fakeContainer
	networks   map[string]engine.Network
	volumes    map[string]engine.Volume
	calls      []string
	nextID     int
}

type fakeContainer struct {
	engine.Container
	spec    engine.ContainerSpec
	started time.Time
}

func newFakeEngine(images map[string]string) *fakeEngine {
	return &fakeEngine{
		images:     images,
		containers: map[string]*fakeContainer{},
		networks:   map[string]engine.Network{},
		volumes:    map[string]engine.Volume{},
	}
}

func (f *fakeEngine) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func (f *fakeEngine) InspectImage(_ context.Context, ref string) (engine.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.images[ref]
	if !ok {
		return engine.Image{}, fmt.Errorf("image %s: %w", ref, engine.ErrNotFound)
	}
	return engine.Image{ID: id}, nil
}

func (f *fakeEngine) PullImage(_ context.Context, ref string, _ func(engine.Progress)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("pull %s", ref)
	return fmt.Errorf("pull access denied for %s", ref)
}

func (f *fakeEngine) CreateNetwork(_ context.Context, spec engine.NetworkSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("create network %s", spec.Name)
	f.networks[spec.Name] = engine.Network{ID: spec.Name, Name: spec.Name, Internal: spec.Internal, Labels: spec.Labels}
	return spec.Name, nil
}

func (f *fakeEngine) ListNetworks(_ context.Context, labels map[string]string) ([]engine.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []engine.Network
	for _, n := range f.networks {
		if hasLabels(n.Labels, labels) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (f *fakeEngine) FindNetwork(_ context.Context, name string) (engine.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n, ok := f.networks[name]; ok {
		return n, nil
	}
	return engine.Network{}, engine.ErrNotFound
}

func (f *fakeEngine) RemoveNetwork(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("remove network %s", id)
	delete(f.networks, id)
	return nil
}

func (f *fakeEngine) CreateVolume(_ context.Context, spec engine.VolumeSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("create volume %s", spec.Name)
	f.volumes[spec.Name] = engine.Volume(spec)
	return nil
}

func (f *fakeEngine) ListVolumes(_ context.Context, labels map[string]string) ([]engine.Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []engine.Volume
	for _, v := range f.volumes {
		if hasLabels(v.Labels, labels) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeEngine) FindVolume(_ context.Context, name string) (engine.Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.volumes[name]; ok {
		return v, nil
	}
	return engine.Volume{}, engine.ErrNotFound
}

func (f *fakeEngine) RemoveVolume(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("remove volume %s", name)
	delete(f.volumes, name)
	return nil
}

func (f *fakeEngine) CreateContainer(_ context.Context, spec engine.ContainerSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if c.Name == spec.Name {
			return "", fmt.Errorf("create container %s: %w", spec.Name, engine.ErrConflict)
		}
	}
	f.nextID++
	id := fmt.Sprintf("c%d", f.nextID)
	f.record("create %s", spec.Name)
	f.containers[id] = &fakeContainer{
		Container: engine.Container{
			ID:      id,
			Name:    spec.Name,
			Image:   spec.Image,
			ImageID: f.images[spec.Image],
			State:   "created",
			Labels:  maps.Clone(spec.Labels),
		},
		spec: spec,
	}
	return id, nil
}

func (f *fakeEngine) StartContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("start %s", f.containers[id].Name)
	f.containers[id].State = "running"
	f.containers[id].started = time.Now()
	return nil
}

func (f *fakeEngine) StopContainer(_ context.Context, id string, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("stop %s", f.containers[id].Name)
	f.containers[id].State = "exited"
	return nil
}

func (f *fakeEngine) RestartContainer(_ context.Context, id string, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("restart %s", f.containers[id].Name)
	f.containers[id].State = "running"
	f.containers[id].started = time.Now()
	return nil
}

func (f *fakeEngine) RemoveContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("remove %s", f.containers[id].Name)
	delete(f.containers, id)
	return nil
}

func (f *fakeEngine) ListContainers(_ context.Context, labels map[string]string) ([]engine.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []engine.Container
	for _, c := range f.containers {
		if hasLabels(c.Labels, labels) {
			out = append(out, c.Container)
		}
	}
	return out, nil
}

func (f *fakeEngine) FindContainer(_ context.Context, name string) (engine.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if c.Name == name {
			return c.Container, nil
		}
	}
	return engine.Container{}, engine.ErrNotFound
}

func (f *fakeEngine) InspectContainer(_ context.Context, id string) (engine.ContainerState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return engine.ContainerState{}, engine.ErrNotFound
	}
	st := engine.ContainerState{ID: id, Name: c.Name, Status: c.State, Running: c.State == "running", StartedAt: c.started}
	if c.spec.Health != nil && st.Running {
		st.Health = engine.HealthHealthy
		st.HealthLog = []engine.HealthResult{{Start: c.started.Add(time.Millisecond)}}
	}
	return st, nil
}

func (f *fakeEngine) Logs(context.Context, string, engine.LogOptions, io.Writer, io.Writer) error {
	return nil
}

func (f *fakeEngine) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := f.calls
	f.calls = nil
	return calls
}

var testImages = map[string]string{
	"mlops:1.2.3":  "sha256:api1",
	"redis:7.2":    "sha256:redis1",
	"traefik:v3.1": "sha256:traefik1",
}

func TestUp_FakeConverges(t *testing.T) {
	ctx := context.Background()
	dir := copyBasic(t, "", "")
	fake := newFakeEngine(maps.Clone(testImages))
	st := New(fake, nil)

	if err := st.Up(ctx, loadPlan(t, dir, PlanOptions{}), UpOptions{}); err != nil {
		t.Fatalf("first Up: %v", err)
	}
	first := fake.takeCalls()
	wantFirst := []string{
		"create network basic_backend", "create network basic_frontend",
		"create volume basic_models", "create volume basic_redis-data",
		"create basic-redis-1", "start basic-redis-1",
		"create basic-api-1", "start basic-api-1",
		"create basic-traefik-1", "start basic-traefik-1",
	}
	if diff := cmp.Diff(wantFirst, first); diff != "" {
		t.Errorf("first Up calls (-want +got):\n%s", diff)
	}

	if err := st.Up(ctx, loadPlan(t, dir, PlanOptions{}), UpOptions{}); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	if calls := fake.takeCalls(); len(calls) != 0 {
		t.Errorf("second Up changed the engine: %v", calls)
	}

	// A stopped container is started, not recreated.
	for id, c := range fake.containers {
		if c.Name == "basic-traefik-1" {
			_ = fake.StopContainer(ctx, id, 0)
		}
	}
	fake.takeCalls()
	if err := st.Up(ctx, loadPlan(t, dir, PlanOptions{}), UpOptions{}); err != nil {
		t.Fatalf("Up after stop: %v", err)
	}
	if diff := cmp.Diff([]string{"start basic-traefik-1"}, fake.takeCalls()); diff != "" {
		t.Errorf("Up after stopping traefik (-want +got):\n%s", diff)
	}

	// A changed config recreates only that service.
	writeBasic(t, dir, "mem_limit: 128m", "mem_limit: 192m")
	if err := st.Up(ctx, loadPlan(t, dir, PlanOptions{}), UpOptions{}); err != nil {
		t.Fatalf("Up after change: %v", err)
	}
	wantChange := []string{"stop basic-redis-1", "remove basic-redis-1", "create basic-redis-1", "start basic-redis-1"}
	if diff := cmp.Diff(wantChange, fake.takeCalls()); diff != "" {
		t.Errorf("Up after changing redis (-want +got):\n%s", diff)
	}

	// A rebuilt image under the same tag recreates the services that use it.
	fake.images["mlops:1.2.3"] = "sha256:api2"
	if err := st.Up(ctx, loadPlan(t, dir, PlanOptions{}), UpOptions{}); err != nil {
		t.Fatalf("Up after image change: %v", err)
	}
	wantImage := []string{"stop basic-api-1", "remove basic-api-1", "create basic-api-1", "start basic-api-1"}
	if diff := cmp.Diff(wantImage, fake.takeCalls()); diff != "" {
		t.Errorf("Up after rebuilding mlops:1.2.3 (-want +got):\n%s", diff)
	}

	// A skipped service's container is reported and left alone.
	var events []Event
	st = New(fake, ReporterFunc(func(e Event) { events = append(events, e) }))
	if err := st.Up(ctx, loadPlan(t, dir, PlanOptions{Skip: []string{"traefik"}}), UpOptions{}); err != nil {
		t.Fatalf("Up skipping traefik: %v", err)
	}
	if calls := fake.takeCalls(); len(calls) != 0 {
		t.Errorf("Up skipping traefik changed the engine: %v", calls)
	}
	wantOrphan := Event{
		Kind: "service", Object: "traefik", Action: ActionOrphaned,
		Detail: "basic-traefik-1 is not in the compose file or was skipped",
	}
	if !slices.Contains(events, wantOrphan) {
		t.Errorf("events %v do not report traefik as orphaned", events)
	}

	if err := st.Down(ctx, "basic", DownOptions{}); err != nil {
		t.Fatalf("Down: %v", err)
	}
	if len(fake.containers) != 0 || len(fake.networks) != 0 || len(fake.volumes) != 2 {
		t.Errorf("after Down: %d containers, %d networks, %d volumes; want 0, 0, 2",
			len(fake.containers), len(fake.networks), len(fake.volumes))
	}
}

func TestUp_FakeMissingImageCreatesNothing(t *testing.T) {
	images := maps.Clone(testImages)
	delete(images, "redis:7.2")
	fake := newFakeEngine(images)

	err := New(fake, nil).Up(context.Background(), loadPlan(t, copyBasic(t, "", ""), PlanOptions{}), UpOptions{})
	if err == nil {
		t.Fatal("Up succeeded with redis:7.2 missing")
	}
	if diff := cmp.Diff([]string{"pull redis:7.2"}, fake.takeCalls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestUp_FakeForeignName(t *testing.T) {
	fake := newFakeEngine(maps.Clone(testImages))
	other := engine.Container{ID: "x", Name: "basic-api-1", State: "running", Labels: map[string]string{engine.LabelProject: "other"}}
	fake.containers["x"] = &fakeContainer{Container: other}

	err := New(fake, nil).Up(context.Background(), loadPlan(t, copyBasic(t, "", ""), PlanOptions{}), UpOptions{})
	if err == nil {
		t.Fatal("Up succeeded while project other holds basic-api-1")
	}
	if want := `container basic-api-1 belongs to mlops project "other"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if calls := fake.takeCalls(); len(calls) != 0 {
		t.Errorf("Up changed the engine despite the conflict: %v", calls)
	}
}
