package e2e

import "testing"

// BenchmarkUp measures `mlops up` of the test's stack, as a user runs it:
// a subprocess that loads the compose file, plans and converges.
//
//   - cold: from no container, network or volume of the project to every
//     service healthy. The api image already exists, because the first up
//     builds it and the benchmark excludes that run. Most of the time is
//     the wait for the first health check of each service, whose interval
//     the compose file sets.
//   - no_change: an up of a stack that already runs as planned.
//
// Run it with: go test ./e2e -run '^$' -bench Up -benchtime 3x
func BenchmarkUp(b *testing.B) {
	f := newProject(b)
	// The first up builds the api image, which later ups reuse.
	f.mustRun(b, "up", "--wait-timeout", "90s")

	b.Run("cold", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			f.mustRun(b, "down", "--volumes")
			b.StartTimer()
			f.mustRun(b, "up", "--wait-timeout", "90s")
		}
	})
	b.Run("no_change", func(b *testing.B) {
		for range b.N {
			f.mustRun(b, "up", "--wait-timeout", "90s")
		}
	})
}
