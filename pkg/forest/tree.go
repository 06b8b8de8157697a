package forest

import (
	"context"
	"math/bits"
)

// trainingSet is the validated training data in the layout the tree
// builder reads fastest.
type trainingSet struct {
	cols  []float64 // column-major: feature f of row i is cols[f*rows+i]
	ranks []uint32  // column-major dense ranks of cols, see denseRanks
	y     []int32
	rows  int
	nf    int
	nc    int
}

func (d *trainingSet) column(f int) []float64 {
	return d.cols[f*d.rows : (f+1)*d.rows]
}

func (d *trainingSet) rankColumn(f int) []uint32 {
	return d.ranks[f*d.rows : (f+1)*d.rows]
}

// tree is one grown tree in the same node layout as Forest, with child and
// value indices local to the tree.
type tree struct {
	feature   []int32
	threshold []float64
	left      []int32
	right     []int32
	value     []int32
	values    []float64
	inBag     []uint64 // bit i is set when row i is in the bootstrap sample
}

func (t *tree) addNode() int32 {
	t.feature = append(t.feature, -1)
	t.threshold = append(t.threshold, 0)
	t.left = append(t.left, -1)
	t.right = append(t.right, -1)
	t.value = append(t.value, -1)
	return int32(len(t.feature) - 1)
}

const (
	labelBits = 32
	labelMask = 1<<labelBits - 1
)

// frame is a node waiting to be grown: the samples in [start, end) of
// builder.samples, its depth and where to link it into its parent.
type frame struct {
	start, end int
	depth      int
	parent     int32
	isLeft     bool
}

// split is a candidate split of a node on feature. below and above are the
// rows on either side of the cut in the node's order by that feature, and
// the midpoint of their values is the threshold.
type split struct {
	feature      int
	score        float64
	below, above int32
}

// builder grows trees one at a time and reuses its scratch memory between
// trees. Each worker goroutine owns one builder.
type builder struct {
	data        *trainingSet
	maxDepth    int
	minLeaf     int
	maxFeatures int

	rng    *rng
	weight []int32 // bootstrap draw count per row
	// labelWeight packs each row's class (low labelBits bits) and draw
	// count, so the split scan reads both with one memory access.
	labelWeight []uint64
	samples     []int32  // rows drawn at least once, a range per node
	keys        []uint64 // sort keys of the node being searched, see sortKeys
	radix       *radixBuffers
	features    []int32
	counts      []int64
	left        []int64
	right       []int64
	stack       []frame
}

func newBuilder(data *trainingSet, p Params, maxFeatures int) *builder {
	return &builder{
		data:        data,
		maxDepth:    p.MaxDepth,
		minLeaf:     p.MinSamplesLeaf,
		maxFeatures: maxFeatures,
		weight:      make([]int32, data.rows),
		labelWeight: make([]uint64, data.rows),
		samples:     make([]int32, 0, data.rows),
		keys:        make([]uint64, data.rows),
		radix:       &radixBuffers{scratch: make([]uint64, data.rows)},
		features:    make([]int32, data.nf),
		counts:      make([]int64, data.nc),
		left:        make([]int64, data.nc),
		right:       make([]int64, data.nc),
	}
}

// bootstrap draws as many rows as there are, with replacement, and stores
// the draw count of each row in weight.
func bootstrap(r *rng, weight []int32) {
	clear(weight)
	for range weight {
		weight[r.intn(len(weight))]++
	}
}

// grow builds tree number index depth first. It returns ctx's error when
// ctx is cancelled before the tree is complete.
func (b *builder) grow(ctx context.Context, seed int64, index int) (*tree, error) {
	// Every piece of state that shapes the tree starts afresh, so the tree
	// depends only on (seed, index), not on the trees this builder grew
	// before.
	b.rng = newTreeRNG(seed, index)
	bootstrap(b.rng, b.weight)
	for f := range b.features {
		b.features[f] = int32(f)
	}

	t := &tree{inBag: make([]uint64, (b.data.rows+63)/64)}
	b.samples = b.samples[:0]
	for i, w := range b.weight {
		b.labelWeight[i] = uint64(w)<<labelBits | uint64(b.data.y[i])
		if w > 0 {
			b.samples = append(b.samples, int32(i))
			t.inBag[i/64] |= 1 << (i % 64)
		}
	}

	b.stack = append(b.stack[:0], frame{start: 0, end: len(b.samples), parent: -1})
	for len(b.stack) > 0 {
		fr := b.stack[len(b.stack)-1]
		b.stack = b.stack[:len(b.stack)-1]

		id := t.addNode()
		if fr.parent >= 0 {
			if fr.isLeft {
				t.left[fr.parent] = id
			} else {
				t.right[fr.parent] = id
			}
		}
		if id%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b.growNode(t, id, fr)
	}
	return t, nil
}

// growNode either splits node id, pushing its children on the stack, or
// makes it a leaf.
func (b *builder) growNode(t *tree, id int32, fr frame) {
	total, sumSquares := b.countClasses(fr.start, fr.end)
	n := fr.end - fr.start
	isLeaf := n < 2*b.minLeaf ||
		sumSquares == total*total || // pure: one class holds all the weight
		(b.maxDepth > 0 && fr.depth >= b.maxDepth)

	if !isLeaf {
		if s, ok := b.bestSplit(fr.start, fr.end, total, sumSquares); ok {
			col := b.data.column(s.feature)
			threshold := midpoint(col[s.below], col[s.above])
			if pos := b.partition(fr.start, fr.end, col, threshold); pos > fr.start && pos < fr.end {
				t.feature[id] = int32(s.feature)
				t.threshold[id] = threshold
				// Push right first so the left subtree is grown, and
				// numbered, first.
				b.stack = append(b.stack,
					frame{start: pos, end: fr.end, depth: fr.depth + 1, parent: id},
					frame{start: fr.start, end: pos, depth: fr.depth + 1, parent: id, isLeft: true})
				return
			}
		}
	}

	t.value[id] = int32(len(t.values))
	for _, c := range b.counts {
		t.values = append(t.values, float64(c)/float64(total))
	}
}

// countClasses fills b.counts with the bootstrap-weighted class counts of
// samples [start, end) and returns their total and sum of squares.
func (b *builder) countClasses(start, end int) (total, sumSquares int64) {
	clear(b.counts)
	for _, s := range b.samples[start:end] {
		lw := b.labelWeight[s]
		b.counts[lw&labelMask] += int64(lw >> labelBits)
	}
	for _, c := range b.counts {
		total += c
		sumSquares += c * c
	}
	return total, sumSquares
}

// bestSplit searches a random subset of features for the split with the
// lowest weighted Gini impurity of the two children. Like scikit-learn it
// draws features without replacement until it has drawn maxFeatures, and
// keeps drawing while every feature drawn so far was constant in the node.
func (b *builder) bestSplit(start, end int, total, sumSquares int64) (split, bool) {
	best := split{feature: -1}
	drawn, nonConstant := 0, 0
	for j := 0; j < len(b.features) && (drawn < b.maxFeatures || nonConstant == 0); j++ {
		k := j + b.rng.intn(len(b.features)-j)
		b.features[j], b.features[k] = b.features[k], b.features[j]
		f := int(b.features[j])
		drawn++

		if !b.loadSorted(f, start, end) {
			continue
		}
		nonConstant++
		b.scanFeature(f, start, end, total, sumSquares, &best)
	}
	return best, best.feature >= 0
}

// loadSorted sorts samples [start, end) by feature f and leaves their sort
// keys in b.keys[start:end]. It reports false, without sorting, when the
// feature is constant in the node.
func (b *builder) loadSorted(f, start, end int) bool {
	ranks := b.data.rankColumn(f)
	samples := b.samples[start:end]
	keys := b.keys[start:end]
	lo, hi := ranks[samples[0]], ranks[samples[0]]
	for i, s := range samples {
		r := ranks[s]
		keys[i] = uint64(r)<<keyShift | uint64(s)
		lo = min(lo, r)
		hi = max(hi, r)
	}
	if lo == hi {
		return false
	}

	// Rebasing the ranks on the node's smallest one leaves fewer
	// significant bits, and so fewer radix passes, in deep nodes.
	if offset := uint64(lo) << keyShift; offset != 0 {
		for i := range keys {
			keys[i] -= offset
		}
	}
	sortKeys(keys, b.radix, bits.Len32(hi-lo))
	for i, k := range keys {
		samples[i] = int32(uint32(k))
	}
	return true
}

// scanFeature moves the sorted samples one by one from the right child to
// the left and scores every position between two distinct values. The
// score sumSquaresLeft/weightLeft + sumSquaresRight/weightRight grows as
// the weighted Gini impurity of the children falls, so the highest score
// is the best split.
func (b *builder) scanFeature(f, start, end int, total, sumSquares int64, best *split) {
	left, right := b.left, b.right
	clear(left)
	copy(right, b.counts)
	var weightLeft, squaresLeft int64
	weightRight, squaresRight := total, sumSquares

	samples := b.samples[start:end]
	keys := b.keys[start:end]
	labelWeight := b.labelWeight
	n := len(samples)
	for i := range n - 1 {
		lw := labelWeight[samples[i]]
		c, w := lw&labelMask, int64(lw>>labelBits)
		squaresLeft += w * (2*left[c] + w)
		squaresRight += w * (w - 2*right[c])
		left[c] += w
		right[c] -= w
		weightLeft += w
		weightRight -= w

		if keys[i+1]>>keyShift == keys[i]>>keyShift {
			continue // equal values cannot be split apart
		}
		nLeft := i + 1
		if nLeft < b.minLeaf {
			continue
		}
		if n-nLeft < b.minLeaf {
			break
		}
		score := float64(squaresLeft)/float64(weightLeft) + float64(squaresRight)/float64(weightRight)
		if score > best.score {
			*best = split{feature: f, score: score, below: samples[i], above: samples[i+1]}
		}
	}
}

// midpoint returns the threshold between two adjacent distinct sorted
// values a < b: their midpoint, or a when rounding would make it equal b
// (then a <= threshold < b still separates them).
func midpoint(a, b float64) float64 {
	m := a/2 + b/2
	if m >= b || m < a {
		return a
	}
	return m
}

// partition reorders samples [start, end) so that the rows with
// col[row] <= threshold come first, and returns the index where the
// others start.
func (b *builder) partition(start, end int, col []float64, threshold float64) int {
	i, j := start, end-1
	for i <= j {
		if col[b.samples[i]] <= threshold {
			i++
			continue
		}
		b.samples[i], b.samples[j] = b.samples[j], b.samples[i]
		j--
	}
	return i
}
