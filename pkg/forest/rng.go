package forest

import "math/bits"

// rng is a SplitMix64 generator (Steele, Lea and Flood, 2014). The forest
// uses its own generator instead of math/rand so that the random stream, and
// with it the trained model, stays the same across Go releases.
type rng struct {
	state uint64
}

const golden = 0x9e3779b97f4a7c15

// mix64 is the SplitMix64 output function, a bijective 64-bit mixer.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// newTreeRNG derives the generator of one tree from the forest seed and the
// tree index, so a tree's randomness does not depend on which worker builds
// it or in which order.
func newTreeRNG(seed int64, tree int) *rng {
	return &rng{state: mix64(mix64(uint64(seed)) ^ uint64(tree)*golden)}
}

func (r *rng) next() uint64 {
	r.state += golden
	return mix64(r.state)
}

// intn returns a uniform integer in [0, n) for n > 0 by Lemire's
// multiply-and-reject method, which has no modulo bias.
func (r *rng) intn(n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(r.next(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(r.next(), bound)
		}
	}
	return int(hi)
}
