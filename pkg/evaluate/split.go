package evaluate

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
)

// StratifiedSplit divides the row indices 0..len(y)-1 into a training and
// a test set, keeping each class's share in both. Each class sends
// round(testFraction * members) rows to the test set, clamped so that
// both sets get at least one row of it. The rows are chosen by a shuffle
// seeded with seed, and both results are sorted ascending. Every class
// needs at least two rows.
func StratifiedSplit(y []int, testFraction float64, seed int64) (train, test []int, err error) {
	if !(testFraction > 0 && testFraction < 1) {
		return nil, nil, fmt.Errorf("invalid test fraction %v: must be between 0 and 1, exclusive", testFraction)
	}
	members, err := groupByClass(y)
	if err != nil {
		return nil, nil, err
	}

	r := newShuffler(seed)
	for _, class := range members {
		rows := class.rows
		if len(rows) < 2 {
			return nil, nil, fmt.Errorf("class %d has 1 row: a stratified split needs at least 2 per class",
				class.label)
		}
		r.shuffle(rows)
		nTest := int(math.Round(testFraction * float64(len(rows))))
		nTest = min(max(nTest, 1), len(rows)-1)
		test = append(test, rows[:nTest]...)
		train = append(train, rows[nTest:]...)
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test, nil
}

// StratifiedKFold assigns the row indices 0..len(y)-1 to k folds of
// near-equal size, keeping each class's share in every fold, and returns
// the test indices of each fold, sorted ascending. Rows are shuffled per
// class with seed, then dealt to the folds in turn, continuing where the
// previous class stopped so fold sizes differ by at most one. Every class
// needs at least k rows.
func StratifiedKFold(y []int, k int, seed int64) ([][]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("invalid fold count %d: must be at least 2", k)
	}
	if k > len(y) {
		return nil, fmt.Errorf("invalid fold count %d: there are only %d rows", k, len(y))
	}
	members, err := groupByClass(y)
	if err != nil {
		return nil, err
	}

	folds := make([][]int, k)
	r := newShuffler(seed)
	next := 0
	for _, class := range members {
		rows := class.rows
		if len(rows) < k {
			return nil, fmt.Errorf("class %d has %d rows, fewer than the %d folds: use at most %d folds",
				class.label, len(rows), k, len(rows))
		}
		r.shuffle(rows)
		for _, row := range rows {
			folds[next] = append(folds[next], row)
			next = (next + 1) % k
		}
	}
	for _, fold := range folds {
		slices.Sort(fold)
	}
	return folds, nil
}

// TrainIndices returns the row indices 0..rows-1 that are not in test,
// ascending: the training rows of a fold.
func TrainIndices(rows int, test []int) []int {
	inTest := make([]bool, rows)
	for _, i := range test {
		inTest[i] = true
	}
	train := make([]int, 0, rows-len(test))
	for i, skip := range inTest {
		if !skip {
			train = append(train, i)
		}
	}
	return train
}

// classRows are the row indices of one class.
type classRows struct {
	label int
	rows  []int
}

// groupByClass returns the row indices of each class, by ascending label.
func groupByClass(y []int) ([]classRows, error) {
	if len(y) == 0 {
		return nil, fmt.Errorf("no rows to split")
	}
	byLabel := make(map[int][]int)
	for i, label := range y {
		if label < 0 {
			return nil, fmt.Errorf("row %d has negative label %d", i, label)
		}
		byLabel[label] = append(byLabel[label], i)
	}
	groups := make([]classRows, 0, len(byLabel))
	for _, label := range slices.Sorted(maps.Keys(byLabel)) {
		groups = append(groups, classRows{label: label, rows: byLabel[label]})
	}
	return groups, nil
}

// shuffler is a SplitMix64 generator. The package uses its own instead of
// math/rand so that splits for a seed stay the same across Go releases.
type shuffler struct {
	state uint64
}

func newShuffler(seed int64) *shuffler {
	return &shuffler{state: uint64(seed)}
}

func (s *shuffler) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform integer in [0, n) by Lemire's method.
func (s *shuffler) intn(n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(s.next(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(s.next(), bound)
		}
	}
	return int(hi)
}

// shuffle permutes rows uniformly (Fisher-Yates).
func (s *shuffler) shuffle(rows []int) {
	for i := len(rows) - 1; i > 0; i-- {
		j := s.intn(i + 1)
		rows[i], rows[j] = rows[j], rows[i]
	}
}
