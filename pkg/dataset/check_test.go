package dataset

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// datasetOf builds a Dataset from rows whose last value is the class index.
func datasetOf(classes []string, rows ...[]float64) *Dataset {
	ds := &Dataset{Classes: classes}
	for j := 0; j < len(rows[0])-1; j++ {
		ds.Features = append(ds.Features, string(rune('a'+j)))
	}
	for _, row := range rows {
		ds.X = append(ds.X, row[:len(row)-1])
		ds.Y = append(ds.Y, int(row[len(row)-1]))
	}
	return ds
}

func findCheck(t *testing.T, r Report, name string) CheckResult {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("report has no %q check: %+v", name, r.Checks)
	return CheckResult{}
}

// spread returns n rows of two varied features, alternating classes 0 and 1.
func spread(n int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = []float64{float64(i), float64((i * 7) % 11), float64(i % 2)}
	}
	return rows
}

func TestCheck_cleanDataPasses(t *testing.T) {
	ds := datasetOf([]string{"p", "q"}, spread(20)...)
	r := Check(ds, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, []int{16, 17, 18, 19})
	names := []string{CheckClassBalance, CheckConstantColumns, CheckDuplicateRows,
		CheckConflictingLabel, CheckOutliers, CheckTrainTestOverlap}
	if len(r.Checks) != len(names) {
		t.Fatalf("%d checks, want %d", len(r.Checks), len(names))
	}
	for i, c := range r.Checks {
		if c.Name != names[i] {
			t.Errorf("check %d is %q, want %q", i, c.Name, names[i])
		}
		if c.Status != StatusPass {
			t.Errorf("%s: status %s (%s), want pass", c.Name, c.Status, c.Detail)
		}
		if c.Detail == "" {
			t.Errorf("%s: empty detail", c.Name)
		}
	}
	if r.Warnings() != 0 || r.Failures() != 0 {
		t.Errorf("Warnings() = %d, Failures() = %d, want 0 and 0", r.Warnings(), r.Failures())
	}
}

func TestCheck_classBalance(t *testing.T) {
	rows := func(p, q int) [][]float64 {
		var out [][]float64
		for i := 0; i < p+q; i++ {
			class := 0.0
			if i >= p {
				class = 1
			}
			out = append(out, []float64{float64(i), class})
		}
		return out
	}
	tests := []struct {
		name   string
		p, q   int
		status Status
		detail string
	}{
		{"equal", 4, 4, StatusPass, "2 classes of 4 rows each"},
		{"at threshold", 3, 9, StatusPass, `smallest class "p" has 3 rows, largest "q" has 9 (ratio 0.33)`},
		{"below threshold", 2, 9, StatusWarn, `smallest class "p" has 2 rows, largest "q" has 9 (ratio 0.22, below 0.33), so the model may neglect the small class`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := findCheck(t, Check(datasetOf([]string{"p", "q"}, rows(tt.p, tt.q)...), nil, nil), CheckClassBalance)
			if c.Status != tt.status {
				t.Errorf("status = %s, want %s", c.Status, tt.status)
			}
			if c.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", c.Detail, tt.detail)
			}
		})
	}
}

func TestCheck_constantColumns(t *testing.T) {
	ds := datasetOf([]string{"p", "q"}, []float64{1, 5, 9, 0}, []float64{2, 5, 9, 1}, []float64{3, 5, 9, 0})
	c := findCheck(t, Check(ds, nil, nil), CheckConstantColumns)
	if c.Status != StatusWarn {
		t.Errorf("status = %s, want warn", c.Status)
	}
	if want := []string{"b", "c"}; !reflect.DeepEqual(c.Columns, want) {
		t.Errorf("Columns = %q, want %q", c.Columns, want)
	}
	want := `2 of 3 features have one value in every row and cannot help a split: "b", "c"`
	if c.Detail != want {
		t.Errorf("detail = %q, want %q", c.Detail, want)
	}
}

func TestCheck_duplicateRows(t *testing.T) {
	ds := datasetOf([]string{"p", "q"},
		[]float64{1, 2, 0}, []float64{3, 4, 1}, []float64{1, 2, 0}, []float64{3, 4, 0}, []float64{3, 4, 1}, []float64{1, 2, 0})
	c := findCheck(t, Check(ds, nil, nil), CheckDuplicateRows)
	if c.Status != StatusWarn {
		t.Errorf("status = %s, want warn", c.Status)
	}
	if c.Count != 3 {
		t.Errorf("Count = %d, want 3", c.Count)
	}
	if want := []int{4, 6, 7}; !reflect.DeepEqual(c.Rows, want) {
		t.Errorf("Rows = %v, want %v", c.Rows, want)
	}
	want := "3 rows equal to an earlier row in features and label: row 4 = row 2, row 6 = row 3, row 7 = row 2"
	if c.Detail != want {
		t.Errorf("detail = %q, want %q", c.Detail, want)
	}
}

func TestCheck_conflictingLabels(t *testing.T) {
	ds := datasetOf([]string{"p", "q"},
		[]float64{1, 2, 0}, []float64{3, 4, 1}, []float64{1, 2, 1}, []float64{5, 6, 0}, []float64{5, 6, 0})
	ds.RowNumbers = []int{2, 3, 5, 6, 7} // a blank line at row 4
	c := findCheck(t, Check(ds, nil, nil), CheckConflictingLabel)
	if c.Status != StatusWarn {
		t.Errorf("status = %s, want warn", c.Status)
	}
	if c.Count != 1 {
		t.Errorf("Count = %d, want 1", c.Count)
	}
	want := `1 group of rows with identical features but different labels, so no model can get all of them right: rows 2, 5 ("p", "q")`
	if c.Detail != want {
		t.Errorf("detail = %q, want %q", c.Detail, want)
	}
	if want := []int{2, 5}; !reflect.DeepEqual(c.Rows, want) {
		t.Errorf("Rows = %v, want %v", c.Rows, want)
	}
}

func TestCheck_outliers(t *testing.T) {
	t.Run("robust z-score", func(t *testing.T) {
		rows := spread(20)
		rows[7][0] = 1000
		c := findCheck(t, Check(datasetOf([]string{"p", "q"}, rows...), nil, nil), CheckOutliers)
		if c.Status != StatusWarn {
			t.Errorf("status = %s, want warn", c.Status)
		}
		if want := map[string]int{"a": 1}; !reflect.DeepEqual(c.Counts, want) {
			t.Errorf("Counts = %v, want %v", c.Counts, want)
		}
		if want := []int{9}; !reflect.DeepEqual(c.Rows, want) {
			t.Errorf("Rows = %v, want %v", c.Rows, want)
		}
		if want := `1 value outside |robust z| <= 3.5 in 1 of 2 features: "a" 1`; c.Detail != want {
			t.Errorf("detail = %q, want %q", c.Detail, want)
		}
	})
	t.Run("IQR fallback", func(t *testing.T) {
		// Median and MAD are 0; Q1 = 0, Q3 = 1.25, so the upper fence is 3.125.
		values := []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 100}
		var rows [][]float64
		for i, v := range values {
			rows = append(rows, []float64{v, float64(i % 2)})
		}
		c := findCheck(t, Check(datasetOf([]string{"p", "q"}, rows...), nil, nil), CheckOutliers)
		if c.Status != StatusWarn {
			t.Errorf("status = %s, want warn", c.Status)
		}
		if want := []int{13}; !reflect.DeepEqual(c.Rows, want) {
			t.Errorf("Rows = %v, want %v", c.Rows, want)
		}
		if want := `1 value outside |robust z| <= 3.5 in 1 of 1 features: "a" 1 (IQR rule, MAD is 0)`; c.Detail != want {
			t.Errorf("detail = %q, want %q", c.Detail, want)
		}
	})
	t.Run("no scale", func(t *testing.T) {
		values := []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 5}
		var rows [][]float64
		for i, v := range values {
			rows = append(rows, []float64{v, float64(i % 2)})
		}
		c := findCheck(t, Check(datasetOf([]string{"p", "q"}, rows...), nil, nil), CheckOutliers)
		if c.Status != StatusPass {
			t.Errorf("status = %s, want pass", c.Status)
		}
		if want := `every value within |robust z| <= 3.5; not checked, because MAD and IQR are 0: "a"`; c.Detail != want {
			t.Errorf("detail = %q, want %q", c.Detail, want)
		}
	})
	t.Run("just inside the limit", func(t *testing.T) {
		// Values 1..9: median 5, MAD 2. A value v has robust z 0.6745(v-5)/2,
		// which is 3.5 at v = 15.378.
		var rows [][]float64
		for i, v := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 15.3} {
			rows = append(rows, []float64{v, float64(i % 2)})
		}
		c := findCheck(t, Check(datasetOf([]string{"p", "q"}, rows...), nil, nil), CheckOutliers)
		if c.Status != StatusPass {
			t.Errorf("status = %s (%s), want pass", c.Status, c.Detail)
		}
	})
}

func TestCheck_trainTestOverlap(t *testing.T) {
	ds := datasetOf([]string{"p", "q"},
		[]float64{1, 2, 0}, []float64{3, 4, 1}, []float64{5, 6, 0}, []float64{1, 2, 1}, []float64{7, 8, 1})
	c := findCheck(t, Check(ds, []int{0, 1, 2}, []int{3, 4}), CheckTrainTestOverlap)
	if c.Status != StatusWarn {
		t.Errorf("status = %s, want warn", c.Status)
	}
	if c.Count != 1 {
		t.Errorf("Count = %d, want 1", c.Count)
	}
	want := "1 of 2 test rows have the same features as a train row (test = train): row 5 = row 2"
	if c.Detail != want {
		t.Errorf("detail = %q, want %q", c.Detail, want)
	}

	for _, check := range Check(ds, nil, nil).Checks {
		if check.Name == CheckTrainTestOverlap {
			t.Error("Check without a split ran the train/test overlap check")
		}
	}
}

func TestCheck_malformedDataFails(t *testing.T) {
	tests := []struct {
		name        string
		ds          *Dataset
		train, test []int
		want        string
	}{
		{"label out of range", &Dataset{Features: []string{"a"}, Classes: []string{"p"}, X: [][]float64{{1}}, Y: []int{3}},
			nil, nil, "row 2 has label index 3, want 0 to 0"},
		{"short row", &Dataset{Features: []string{"a", "b"}, Classes: []string{"p"}, X: [][]float64{{1}}, Y: []int{0}},
			nil, nil, "row 2 has 1 value, want 2 features"},
		{"split out of range", &Dataset{Features: []string{"a"}, Classes: []string{"p"}, X: [][]float64{{1}}, Y: []int{0}},
			[]int{0}, []int{1}, "split index 1 out of range for 1 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.ds, tt.train, tt.test)
			if r.Failures() != 1 {
				t.Fatalf("Failures() = %d, want 1: %+v", r.Failures(), r.Checks)
			}
			if r.Checks[0].Detail != tt.want {
				t.Errorf("detail = %q, want %q", r.Checks[0].Detail, tt.want)
			}
		})
	}
}

func TestCheck_irisWarnsAboutItsDuplicate(t *testing.T) {
	r := Check(Iris(), nil, nil)
	if r.Warnings() != 1 || r.Failures() != 0 {
		t.Errorf("Warnings() = %d, Failures() = %d, want 1 and 0: %+v", r.Warnings(), r.Failures(), r.Checks)
	}
	c := findCheck(t, r, CheckDuplicateRows)
	if !strings.Contains(c.Detail, "row 144 = row 103") {
		t.Errorf("duplicate detail = %q, want it to name rows 144 and 103", c.Detail)
	}
}

func TestReport_jsonIsSnakeCase(t *testing.T) {
	r := Report{Checks: []CheckResult{{Name: CheckOutliers, Status: StatusWarn, Detail: "d", Count: 2,
		Rows: []int{3}, Columns: []string{"a"}, Counts: map[string]int{"a": 2}}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"checks":[{"name":"outliers","status":"warn","detail":"d","count":2,"rows":[3],"columns":["a"],"counts":{"a":2}}]}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}
