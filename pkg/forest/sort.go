package forest

import (
	"cmp"
	"math/bits"
	"slices"
)

// Split search sorts each node's samples by one feature. Instead of the
// float values it sorts packed keys: the feature's dense rank for the row
// (equal values share a rank) in the high 32 bits and the row index in the
// low 32. Ranks are small integers, so large nodes can use a radix sort,
// and equal ranks mean equal values.

// denseRanks returns, for every row, the rank of its value among the
// distinct values of col: 0 for the smallest, and equal values get equal
// ranks.
func denseRanks(col []float64) []uint32 {
	order := make([]int32, len(col))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(col[a], col[b]) })

	ranks := make([]uint32, len(col))
	var rank uint32
	for i, row := range order {
		if i > 0 && col[row] != col[order[i-1]] {
			rank++
		}
		ranks[row] = rank
	}
	return ranks
}

const (
	maxDigitBits = 11 // radix digits of at most 2048 buckets
	keyShift     = 32 // ranks sit in the high half of a key
)

// radixBuffers are the scratch memory of sortKeys, kept by each builder
// so sorting allocates and zeroes nothing beyond the buckets in use.
type radixBuffers struct {
	scratch []uint64
	counts  [1<<maxDigitBits + 1]int
}

// sortKeys sorts keys ascending by their rank bits, using buf.scratch (at
// least as long as keys) as a buffer. rankBits is the number of significant rank
// bits. It picks a radix sort when its bucket overhead is small relative
// to the key count and a comparison sort otherwise.
func sortKeys(keys []uint64, buf *radixBuffers, rankBits int) {
	n := len(keys)
	if n < 2 {
		return
	}
	passes := (rankBits + maxDigitBits - 1) / maxDigitBits
	digitBits := (rankBits + passes - 1) / passes
	radixCost := passes * (1<<digitBits + 2*n)
	comparisonCost := 2 * n * bits.Len(uint(n))
	if n < 32 || radixCost > comparisonCost {
		slices.Sort(keys)
		return
	}
	radixSort(keys, buf.scratch[:n], buf.counts[:], passes, digitBits)
}

// radixSort is a least-significant-digit radix sort on the rank bits. Each
// pass is stable, so keys with equal ranks keep their input order.
func radixSort(keys, scratch []uint64, counts []int, passes, digitBits int) {
	buckets := 1 << digitBits
	mask := uint64(buckets - 1)
	src, dst := keys, scratch
	for pass := range passes {
		shift := keyShift + pass*digitBits
		clear(counts[:buckets+1])
		for _, k := range src {
			counts[(k>>shift)&mask+1]++
		}
		for d := 1; d <= buckets; d++ {
			counts[d] += counts[d-1]
		}
		for _, k := range src {
			d := (k >> shift) & mask
			dst[counts[d]] = k
			counts[d]++
		}
		src, dst = dst, src
	}
	if passes%2 == 1 {
		copy(keys, src)
	}
}
