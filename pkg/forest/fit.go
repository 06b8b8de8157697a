package forest

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// maxNodes bounds the node count of a forest so node indices fit in int32.
const maxNodes = math.MaxInt32

// Fit trains a forest on rows X with class labels y in [0, numClasses).
// Every row must have the same number of finite features. Trees are built
// on p.Workers goroutines. A non-nil progress is called from the calling
// goroutine after each finished tree. When ctx is cancelled, Fit stops
// within at most 64 nodes of work per worker and returns ctx's error,
// wrapped.
func Fit(ctx context.Context, X [][]float64, y []int, numClasses int, p Params,
	progress func(done, total int)) (*Forest, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	data, err := newTrainingSet(X, y, numClasses)
	if err != nil {
		return nil, err
	}
	maxFeatures, err := resolveMaxFeatures(p.MaxFeatures, data.nf)
	if err != nil {
		return nil, err
	}

	trees, err := growTrees(ctx, data, p, maxFeatures, progress)
	if err != nil {
		return nil, fmt.Errorf("fit forest: %w", err)
	}

	workers := workerCount(p)
	p.Workers = 0 // not part of the model, so equal seeds give equal bytes
	f, err := assemble(trees, data.nf, data.nc, p)
	if err != nil {
		return nil, err
	}
	f.oobScore = f.outOfBagScore(X, y, trees, workers)
	return f, nil
}

func resolveMaxFeatures(maxFeatures, nf int) (int, error) {
	if maxFeatures == 0 {
		return max(1, int(math.Sqrt(float64(nf)))), nil
	}
	if maxFeatures > nf {
		return 0, fmt.Errorf("invalid max features %d: the data has only %d features", maxFeatures, nf)
	}
	return maxFeatures, nil
}

func workerCount(p Params) int {
	if p.Workers > 0 {
		return min(p.Workers, p.Trees)
	}
	return max(1, min(runtime.GOMAXPROCS(0), p.Trees))
}

// newTrainingSet validates the input and stores it column-major.
func newTrainingSet(X [][]float64, y []int, numClasses int) (*trainingSet, error) {
	switch {
	case len(X) == 0:
		return nil, fmt.Errorf("no training rows")
	case len(y) != len(X):
		return nil, fmt.Errorf("got %d labels for %d rows", len(y), len(X))
	case len(X) > math.MaxInt32:
		return nil, fmt.Errorf("too many training rows: %d, the limit is %d", len(X), math.MaxInt32)
	case numClasses < 1:
		return nil, fmt.Errorf("invalid class count %d: must be at least 1", numClasses)
	case len(X[0]) == 0:
		return nil, fmt.Errorf("row 0 has no features")
	}

	rows, nf := len(X), len(X[0])
	data := &trainingSet{cols: make([]float64, rows*nf), y: make([]int32, rows), rows: rows, nf: nf, nc: numClasses}
	for i, row := range X {
		if len(row) != nf {
			return nil, fmt.Errorf("row %d has %d features, expected %d like row 0", i, len(row), nf)
		}
		for f, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("row %d feature %d is %v: features must be finite numbers", i, f, v)
			}
			data.cols[f*rows+i] = v
		}
		if y[i] < 0 || y[i] >= numClasses {
			return nil, fmt.Errorf("row %d has label %d, expected 0 to %d", i, y[i], numClasses-1)
		}
		data.y[i] = int32(y[i])
	}
	data.ranks = make([]uint32, 0, rows*nf)
	for f := range nf {
		data.ranks = append(data.ranks, denseRanks(data.column(f))...)
	}
	return data, nil
}

// growTrees builds p.Trees trees on worker goroutines that take tree
// indices from a shared counter. Tree t always uses the generator derived
// from (p.Seed, t), so the result does not depend on scheduling.
func growTrees(ctx context.Context, data *trainingSet, p Params, maxFeatures int,
	progress func(done, total int)) ([]*tree, error) {
	workCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	trees := make([]*tree, p.Trees)
	finished := make(chan struct{}, p.Trees)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workerCount(p) {
		wg.Go(func() {
			b := newBuilder(data, p, maxFeatures)
			for {
				t := int(next.Add(1) - 1)
				if t >= p.Trees || workCtx.Err() != nil {
					return
				}
				grown, err := b.grow(workCtx, p.Seed, t)
				if err != nil {
					return
				}
				trees[t] = grown
				finished <- struct{}{}
			}
		})
	}

	stop := func() error {
		cancel()
		wg.Wait()
		return ctx.Err()
	}
	for done := 0; done < p.Trees; {
		// Checking first makes a cancellation seen here, for example one
		// made by progress, win over trees that finish at the same time.
		if ctx.Err() != nil {
			return nil, stop()
		}
		select {
		case <-finished:
			done++
			if progress != nil {
				progress(done, p.Trees)
			}
		case <-ctx.Done():
			return nil, stop()
		}
	}
	wg.Wait()
	return trees, nil
}

// assemble concatenates the trees, in index order, into the flat layout of
// Forest, turning tree-local indices into forest-wide ones.
func assemble(trees []*tree, nf, nc int, p Params) (*Forest, error) {
	var nodes, values int
	for _, t := range trees {
		nodes += len(t.feature)
		values += len(t.values)
	}
	if nodes > maxNodes || values > maxNodes {
		return nil, fmt.Errorf("forest too large: %d nodes and %d leaf values, the limit is %d each",
			nodes, values, maxNodes)
	}

	f := &Forest{
		numFeatures: nf,
		numClasses:  nc,
		params:      p,
		roots:       make([]int32, 0, len(trees)),
		feature:     make([]int32, 0, nodes),
		threshold:   make([]float64, 0, nodes),
		left:        make([]int32, 0, nodes),
		right:       make([]int32, 0, nodes),
		value:       make([]int32, 0, nodes),
		values:      make([]float64, 0, values),
	}
	for _, t := range trees {
		nodeBase := int32(len(f.feature))
		valueBase := int32(len(f.values))
		f.roots = append(f.roots, nodeBase)
		f.feature = append(f.feature, t.feature...)
		f.threshold = append(f.threshold, t.threshold...)
		for i := range t.feature {
			f.left = append(f.left, shift(t.left[i], nodeBase))
			f.right = append(f.right, shift(t.right[i], nodeBase))
			f.value = append(f.value, shift(t.value[i], valueBase))
		}
		f.values = append(f.values, t.values...)
	}
	return f, nil
}

// shift adds base to a tree-local index, keeping -1 (none) as it is.
func shift(index, base int32) int32 {
	if index < 0 {
		return index
	}
	return index + base
}

// outOfBagScore predicts every training row with the trees whose bootstrap
// sample left it out and returns the accuracy over the rows that at least
// one tree left out, or NaN when there are none. Rows are split among
// workers, and each row sums its trees in index order, so the score does
// not depend on the worker count.
func (f *Forest) outOfBagScore(X [][]float64, y []int, trees []*tree, workers int) float64 {
	var correct, counted atomic.Int64
	chunk := (len(X) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(X); start += chunk {
		end := min(start+chunk, len(X))
		wg.Go(func() {
			c, n := f.scoreOutOfBag(X[start:end], y[start:end], start, trees)
			correct.Add(c)
			counted.Add(n)
		})
	}
	wg.Wait()

	if counted.Load() == 0 {
		return math.NaN()
	}
	return float64(correct.Load()) / float64(counted.Load())
}

// scoreOutOfBag sums, for rows X (training rows first .. first+len(X)-1),
// the leaf probabilities of the trees that did not draw them, and returns
// how many rows had such trees and how many of those the sums classify
// correctly. Trees are the outer loop, which keeps one tree's nodes in
// cache while it predicts many rows.
func (f *Forest) scoreOutOfBag(X [][]float64, y []int, first int, trees []*tree) (correct, counted int64) {
	nc := f.numClasses
	sums := make([]float64, len(X)*nc)
	seen := make([]bool, len(X))
	for t, root := range f.roots {
		inBag := trees[t].inBag
		for i, row := range X {
			r := first + i
			if inBag[r/64]&(1<<(r%64)) != 0 {
				continue
			}
			seen[i] = true
			leaf := f.leaf(root, row)
			sum := sums[i*nc : (i+1)*nc]
			for c, p := range f.values[f.value[leaf]:][:nc] {
				sum[c] += p
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			continue
		}
		counted++
		if argmax(sums[i*nc:(i+1)*nc]) == y[i] {
			correct++
		}
	}
	return correct, counted
}
