package forest

import "math/bits"

// sortByValue sorts values ascending and applies the same permutation to
// samples. It is an introsort: quicksort with a median-of-three pivot and a
// three-way partition (fast on the many ties of measured data), insertion
// sort for short runs and heapsort once the recursion gets too deep. The
// order among equal values is deterministic but not stable.
func sortByValue(values []float64, samples []int32) {
	if len(values) < 2 {
		return
	}
	maxDepth := 2 * bits.Len(uint(len(values)))
	introsort(values, samples, maxDepth)
}

func introsort(values []float64, samples []int32, depth int) {
	for len(values) > 16 {
		if depth == 0 {
			heapsort(values, samples)
			return
		}
		depth--

		lt, gt := partition3(values, samples)
		introsort(values[:lt], samples[:lt], depth)
		values, samples = values[gt:], samples[gt:]
	}
	insertionSort(values, samples)
}

// partition3 reorders the slices into values < pivot, == pivot and > pivot
// and returns the bounds [lt, gt) of the middle part.
func partition3(values []float64, samples []int32) (lt, gt int) {
	pivot := medianOfThree(values[0], values[len(values)/2], values[len(values)-1])
	i, lt, gt := 0, 0, len(values)
	for i < gt {
		switch v := values[i]; {
		case v < pivot:
			swap(values, samples, i, lt)
			i++
			lt++
		case v > pivot:
			gt--
			swap(values, samples, i, gt)
		default:
			i++
		}
	}
	return lt, gt
}

func medianOfThree(a, b, c float64) float64 {
	if a < b {
		switch {
		case b < c:
			return b
		case a < c:
			return c
		default:
			return a
		}
	}
	switch {
	case a < c:
		return a
	case b < c:
		return c
	default:
		return b
	}
}

func swap(values []float64, samples []int32, i, j int) {
	values[i], values[j] = values[j], values[i]
	samples[i], samples[j] = samples[j], samples[i]
}

func insertionSort(values []float64, samples []int32) {
	for i := 1; i < len(values); i++ {
		v, s := values[i], samples[i]
		j := i
		for j > 0 && values[j-1] > v {
			values[j], samples[j] = values[j-1], samples[j-1]
			j--
		}
		values[j], samples[j] = v, s
	}
}

func heapsort(values []float64, samples []int32) {
	n := len(values)
	for start := n/2 - 1; start >= 0; start-- {
		siftDown(values, samples, start, n)
	}
	for end := n - 1; end > 0; end-- {
		swap(values, samples, 0, end)
		siftDown(values, samples, 0, end)
	}
}

func siftDown(values []float64, samples []int32, root, end int) {
	for {
		child := 2*root + 1
		if child >= end {
			return
		}
		if child+1 < end && values[child] < values[child+1] {
			child++
		}
		if values[root] >= values[child] {
			return
		}
		swap(values, samples, root, child)
		root = child
	}
}
