package stack_test

import (
	"context"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// BenchmarkUp_Cold measures an up from nothing to every service healthy,
// for the two-service test stack. Run it with -benchtime=3x: each
// iteration takes seconds, most of it waiting for the first health checks.
func BenchmarkUp_Cold(b *testing.B) {
	c, imgs := fixture(b)
	project := enginetest.Project(b, c)
	dir := projectDir(b, imgs, map[string]string{"API_PORT": freePort(b)})
	p := plan(b, dir, project)
	st := stack.New(c, nil)
	ctx := context.Background()

	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := st.Down(ctx, project, stack.DownOptions{Volumes: true, StopTimeout: time.Second}); err != nil {
			b.Fatalf("Down: %v", err)
		}
		b.StartTimer()
		if err := st.Up(ctx, p, stack.UpOptions{WaitTimeout: time.Minute}); err != nil {
			b.Fatalf("Up: %v", err)
		}
	}
}

// BenchmarkUp_NoChange measures an up of a stack that already runs as
// planned, which only reads state and changes nothing.
func BenchmarkUp_NoChange(b *testing.B) {
	c, imgs := fixture(b)
	project := enginetest.Project(b, c)
	dir := projectDir(b, imgs, map[string]string{"API_PORT": freePort(b)})
	st := stack.New(c, nil)
	ctx := context.Background()
	if err := st.Up(ctx, plan(b, dir, project), stack.UpOptions{WaitTimeout: time.Minute}); err != nil {
		b.Fatalf("first Up: %v", err)
	}

	b.ResetTimer()
	for range b.N {
		// Loading and planning are part of every real up, so they are timed.
		if err := st.Up(ctx, plan(b, dir, project), stack.UpOptions{WaitTimeout: time.Minute}); err != nil {
			b.Fatalf("Up: %v", err)
		}
	}
}
