// Package forest trains and applies a Random Forest classifier: bagged CART
// trees grown on bootstrap samples with Gini impurity and a random feature
// subset at every split, averaged by their leaf class probabilities the way
// scikit-learn's RandomForestClassifier does.
//
// Training is parallel and deterministic: the same Params.Seed yields the
// same model bytes whatever Params.Workers is. A fitted Forest is read-only
// and safe for concurrent use.
package forest

import (
	"fmt"
	"math"
)

// Params are the training options of a forest.
type Params struct {
	// Trees is the number of trees, at least 1.
	Trees int
	// MaxDepth limits the depth of every tree; 0 means unlimited.
	MaxDepth int
	// MinSamplesLeaf is the minimum number of distinct training rows in a
	// leaf, at least 1.
	MinSamplesLeaf int
	// MaxFeatures is the number of features drawn at random for each split;
	// 0 means floor(sqrt(features)), at least 1.
	MaxFeatures int
	// Seed fixes every random choice, so equal seeds give equal models.
	Seed int64
	// Workers is the number of goroutines building trees; 0 means
	// runtime.GOMAXPROCS(0). It has no effect on the resulting model.
	Workers int
}

// DefaultParams returns the defaults of scikit-learn 1.2's
// RandomForestClassifier: 100 trees of unlimited depth, leaves of at least
// one row and sqrt(features) candidate features per split.
func DefaultParams() Params {
	return Params{Trees: 100, MinSamplesLeaf: 1}
}

// Validate reports the first invalid option, if any.
func (p Params) Validate() error {
	switch {
	case p.Trees < 1:
		return fmt.Errorf("invalid tree count %d: must be at least 1", p.Trees)
	case p.MaxDepth < 0:
		return fmt.Errorf("invalid max depth %d: must be 0 (unlimited) or more", p.MaxDepth)
	case p.MinSamplesLeaf < 1:
		return fmt.Errorf("invalid min samples per leaf %d: must be at least 1", p.MinSamplesLeaf)
	case p.MaxFeatures < 0:
		return fmt.Errorf("invalid max features %d: must be 0 (square root of the feature count) or more",
			p.MaxFeatures)
	case p.Workers < 0:
		return fmt.Errorf("invalid worker count %d: must be 0 (all cores) or more", p.Workers)
	}
	return nil
}

// Forest is a fitted Random Forest. All trees live in one set of flat,
// parallel node arrays so that prediction walks plain slices and allocates
// nothing.
type Forest struct {
	numFeatures int
	numClasses  int
	params      Params // Workers is not kept: it does not change the model
	oobScore    float64

	// roots[t] is the index of tree t's root node. The nodes of tree t are
	// roots[t] .. roots[t+1]-1, and every child index is greater than its
	// parent's, so a walk always ends at a leaf.
	roots []int32

	// Node arrays, one entry per node. A leaf has feature -1, left and right
	// -1, and value pointing at its numClasses class probabilities in
	// values. An inner node sends a row left when
	// row[feature] <= threshold, right otherwise (NaN goes right).
	feature   []int32
	threshold []float64
	left      []int32
	right     []int32
	value     []int32

	values []float64
}

// NumClasses returns the number of classes the forest predicts.
func (f *Forest) NumClasses() int { return f.numClasses }

// NumFeatures returns the number of features a row must have.
func (f *Forest) NumFeatures() int { return f.numFeatures }

// NumTrees returns the number of trees.
func (f *Forest) NumTrees() int { return len(f.roots) }

// NumNodes returns the total number of nodes over all trees.
func (f *Forest) NumNodes() int { return len(f.feature) }

// Params returns the options the forest was trained with. Workers is
// always 0 because it is not stored with the model.
func (f *Forest) Params() Params { return f.params }

// OOBScore returns the out-of-bag accuracy measured during Fit: each
// training row is predicted by the trees whose bootstrap sample left it
// out. It is NaN when no row was left out by any tree.
func (f *Forest) OOBScore() float64 { return f.oobScore }

// PredictProba writes the class probabilities of row into out: the mean
// over trees of the class frequencies in the leaf the row reaches. It
// allocates nothing. It panics when len(row) != NumFeatures() or
// len(out) != NumClasses(), which callers rule out by validating input.
func (f *Forest) PredictProba(row []float64, out []float64) {
	if len(row) != f.numFeatures || len(out) != f.numClasses {
		panic(fmt.Sprintf("forest: PredictProba got %d features and %d outputs, expected %d and %d",
			len(row), len(out), f.numFeatures, f.numClasses))
	}
	clear(out)
	for _, root := range f.roots {
		leaf := f.leaf(root, row)
		probs := f.values[f.value[leaf]:][:len(out)]
		for c, p := range probs {
			out[c] += p
		}
	}
	scale := 1 / float64(len(f.roots))
	for c := range out {
		out[c] *= scale
	}
}

// leaf returns the index of the leaf that row reaches from node.
func (f *Forest) leaf(node int32, row []float64) int32 {
	for {
		feat := f.feature[node]
		if feat < 0 {
			return node
		}
		if row[feat] <= f.threshold[node] {
			node = f.left[node]
		} else {
			node = f.right[node]
		}
	}
}

// Predict returns the most probable class of row, the lowest class index
// on a tie. It has the same preconditions as PredictProba.
func (f *Forest) Predict(row []float64) int {
	var buf [16]float64
	var probs []float64
	if f.numClasses <= len(buf) {
		probs = buf[:f.numClasses]
	} else {
		probs = make([]float64, f.numClasses)
	}
	f.PredictProba(row, probs)
	return argmax(probs)
}

func argmax(values []float64) int {
	best, bestValue := 0, math.Inf(-1)
	for i, v := range values {
		if v > bestValue {
			best, bestValue = i, v
		}
	}
	return best
}
