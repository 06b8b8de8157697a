package auth

import "testing"

// BenchmarkVerify measures one full token check (parse, signature, claims)
// per algorithm.
func BenchmarkVerify(b *testing.B) {
	configs := []Config{hsConfig(), edConfig(b), rsConfig(b)}
	for _, cfg := range configs {
		b.Run(cfg.Algorithm, func(b *testing.B) {
			raw := mustIssue(b, mustIssuer(b, cfg), "alice", RolePredict)
			v := mustVerifier(b, cfg)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
