package dataset

import (
	"encoding/json"
	"math"
	"testing"
)

func approxEqual(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestStats_handComputed(t *testing.T) {
	ds := &Dataset{
		Features: []string{"a", "b"},
		X:        [][]float64{{4, 10}, {1, 10}, {3, 10}, {2, 10}},
	}
	got := Stats(ds)
	want := []FeatureStats{
		{Name: "a", Min: 1, Max: 4, Mean: 2.5, Std: math.Sqrt(1.25),
			Quantiles: []float64{1.3, 1.6, 1.9, 2.2, 2.5, 2.8, 3.1, 3.4, 3.7}},
		{Name: "b", Min: 10, Max: 10, Mean: 10, Std: 0,
			Quantiles: []float64{10, 10, 10, 10, 10, 10, 10, 10, 10}},
	}
	if len(got) != len(want) {
		t.Fatalf("Stats returned %d entries, want %d", len(got), len(want))
	}
	for j := range want {
		g, w := got[j], want[j]
		if g.Name != w.Name {
			t.Errorf("[%d] Name = %q, want %q", j, g.Name, w.Name)
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{{"Min", g.Min, w.Min}, {"Max", g.Max, w.Max}, {"Mean", g.Mean, w.Mean}, {"Std", g.Std, w.Std}} {
			if !approxEqual(f.got, f.want) {
				t.Errorf("%s: %s = %v, want %v", w.Name, f.name, f.got, f.want)
			}
		}
		if len(g.Quantiles) != 9 {
			t.Fatalf("%s: %d quantiles, want 9", w.Name, len(g.Quantiles))
		}
		for k := range w.Quantiles {
			if !approxEqual(g.Quantiles[k], w.Quantiles[k]) {
				t.Errorf("%s: q%d = %v, want %v", w.Name, (k+1)*10, g.Quantiles[k], w.Quantiles[k])
			}
		}
	}
}

func TestStats_elevenValues(t *testing.T) {
	ds := &Dataset{Features: []string{"x"}}
	for v := 10.0; v >= 0; v-- {
		ds.X = append(ds.X, []float64{v})
	}
	s := Stats(ds)[0]
	// Population std of 0..10: sum of squared deviations is 110, n is 11.
	if !approxEqual(s.Std, math.Sqrt(10)) {
		t.Errorf("Std = %v, want sqrt(10)", s.Std)
	}
	if s.Mean != 5 {
		t.Errorf("Mean = %v, want 5", s.Mean)
	}
	for k, q := range s.Quantiles {
		if !approxEqual(q, float64(k+1)) {
			t.Errorf("q%d = %v, want %d", (k+1)*10, q, k+1)
		}
	}
}

func TestStats_singleRowAndEmpty(t *testing.T) {
	one := Stats(&Dataset{Features: []string{"x"}, X: [][]float64{{7}}})[0]
	if one.Min != 7 || one.Max != 7 || one.Mean != 7 || one.Std != 0 {
		t.Errorf("single row stats = %+v, want min=max=mean=7, std 0", one)
	}
	for k, q := range one.Quantiles {
		if q != 7 {
			t.Errorf("single row q%d = %v, want 7", (k+1)*10, q)
		}
	}

	empty := Stats(&Dataset{Features: []string{"x"}})
	if _, err := json.Marshal(empty); err != nil {
		t.Errorf("json.Marshal(stats of empty data) error: %v", err)
	}
	if empty[0].Quantiles != nil {
		t.Errorf("empty data Quantiles = %v, want nil", empty[0].Quantiles)
	}
}

func TestStats_jsonFieldNames(t *testing.T) {
	b, err := json.Marshal(Stats(Iris())[0])
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"name", "min", "max", "mean", "std", "quantiles"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("JSON %s lacks key %q", b, key)
		}
	}
}
