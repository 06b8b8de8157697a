package evaluate

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// labels returns counts[c] rows of class c, class by class.
func labels(counts ...int) []int {
	var y []int
	for c, n := range counts {
		for range n {
			y = append(y, c)
		}
	}
	return y
}

func classCounts(y, rows []int, numClasses int) []int {
	counts := make([]int, numClasses)
	for _, r := range rows {
		counts[y[r]]++
	}
	return counts
}

func TestStratifiedSplit_KeepsClassShares(t *testing.T) {
	tests := []struct {
		name      string
		y         []int
		fraction  float64
		wantTest  []int
		wantTrain []int
	}{
		{"iris shape", labels(50, 50, 50), 0.2, []int{10, 10, 10}, []int{40, 40, 40}},
		{"wine shape", labels(59, 71, 48), 0.2, []int{12, 14, 10}, []int{47, 57, 38}},
		{"tiny class keeps one each side", labels(40, 2), 0.1, []int{4, 1}, []int{36, 1}},
		{"large fraction", labels(10, 10), 0.9, []int{9, 9}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			train, test, err := StratifiedSplit(tt.y, tt.fraction, 1)
			if err != nil {
				t.Fatalf("StratifiedSplit: %v", err)
			}
			n := len(tt.wantTest)
			if diff := cmp.Diff(tt.wantTest, classCounts(tt.y, test, n)); diff != "" {
				t.Errorf("test class counts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantTrain, classCounts(tt.y, train, n)); diff != "" {
				t.Errorf("train class counts (-want +got):\n%s", diff)
			}
			all := slices.Sorted(slices.Values(append(slices.Clone(train), test...)))
			if !slices.Equal(all, indices(len(tt.y))) {
				t.Error("train and test together are not every row exactly once")
			}
			if !slices.IsSorted(train) || !slices.IsSorted(test) {
				t.Error("train or test indices are not sorted")
			}
		})
	}
}

func indices(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestStratifiedSplit_Seed(t *testing.T) {
	y := labels(50, 50, 50)
	_, first, _ := StratifiedSplit(y, 0.2, 7)
	_, again, _ := StratifiedSplit(y, 0.2, 7)
	_, other, _ := StratifiedSplit(y, 0.2, 8)
	if !slices.Equal(first, again) {
		t.Error("same seed gave different test sets")
	}
	if slices.Equal(first, other) {
		t.Error("seeds 7 and 8 gave the same test set")
	}
}

func TestStratifiedSplit_Errors(t *testing.T) {
	tests := []struct {
		name     string
		y        []int
		fraction float64
		want     string
	}{
		{"zero fraction", labels(5, 5), 0, "invalid test fraction 0"},
		{"whole fraction", labels(5, 5), 1, "invalid test fraction 1"},
		{"negative fraction", labels(5, 5), -0.2, "invalid test fraction -0.2"},
		{"single row class", labels(5, 1), 0.2, "class 1 has 1 row"},
		{"no rows", nil, 0.2, "no rows"},
		{"negative label", []int{0, -1}, 0.5, "row 1 has negative label -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := StratifiedSplit(tt.y, tt.fraction, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("StratifiedSplit error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestStratifiedKFold_PartitionsRows(t *testing.T) {
	y := labels(59, 71, 48)
	folds, err := StratifiedKFold(y, 5, 3)
	if err != nil {
		t.Fatalf("StratifiedKFold: %v", err)
	}
	if len(folds) != 5 {
		t.Fatalf("got %d folds, want 5", len(folds))
	}
	var all []int
	for i, fold := range folds {
		if size := len(fold); size < 35 || size > 36 {
			t.Errorf("fold %d has %d rows, want 35 or 36 (178 / 5)", i, size)
		}
		for c, n := range classCounts(y, fold, 3) {
			total := []int{59, 71, 48}[c]
			if n < total/5 || n > total/5+1 {
				t.Errorf("fold %d has %d rows of class %d, want %d or %d", i, n, c, total/5, total/5+1)
			}
		}
		if !slices.IsSorted(fold) {
			t.Errorf("fold %d is not sorted", i)
		}
		all = append(all, fold...)
	}
	slices.Sort(all)
	if !slices.Equal(all, indices(len(y))) {
		t.Error("folds together are not every row exactly once")
	}
}

func TestStratifiedKFold_Seed(t *testing.T) {
	y := labels(50, 50, 50)
	first, _ := StratifiedKFold(y, 5, 1)
	again, _ := StratifiedKFold(y, 5, 1)
	other, _ := StratifiedKFold(y, 5, 2)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("same seed gave different folds:\n%s", diff)
	}
	if cmp.Equal(first, other) {
		t.Error("seeds 1 and 2 gave the same folds")
	}
}

func TestStratifiedKFold_Errors(t *testing.T) {
	tests := []struct {
		name string
		y    []int
		k    int
		want string
	}{
		{"one fold", labels(10, 10), 1, "invalid fold count 1"},
		{"more folds than rows", labels(2, 2), 5, "only 4 rows"},
		{"small class", labels(10, 3), 5, "class 1 has 3 rows, fewer than the 5 folds"},
		{"no rows", nil, 5, "invalid fold count 5"},
		{"negative label", []int{0, 0, -2, 0}, 2, "row 2 has negative label -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := StratifiedKFold(tt.y, tt.k, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("StratifiedKFold error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestTrainIndices(t *testing.T) {
	got := TrainIndices(6, []int{1, 4})
	if want := []int{0, 2, 3, 5}; !slices.Equal(got, want) {
		t.Errorf("TrainIndices(6, [1 4]) = %v, want %v", got, want)
	}
}
