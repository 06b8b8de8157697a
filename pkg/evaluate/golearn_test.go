package evaluate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/evaluation"
)

// labelGrid builds a one-column golearn data grid whose class attribute holds labels.
func labelGrid(t *testing.T, labels []int, classes []string) base.FixedDataGrid {
	t.Helper()
	inst := base.NewDenseInstances()
	attr := base.NewCategoricalAttribute()
	attr.SetName("label")
	for _, c := range classes {
		attr.GetSysValFromString(c) // registers the class value
	}
	spec := inst.AddAttribute(attr)
	if err := inst.AddClassAttribute(attr); err != nil {
		t.Fatal(err)
	}
	if err := inst.Extend(len(labels)); err != nil {
		t.Fatal(err)
	}
	for row, y := range labels {
		inst.Set(spec, row, attr.GetSysValFromString(classes[y]))
	}
	return inst
}

// TestCompute_AgreesWithGolearn checks Compute against golearn's evaluation package,
// an independent implementation of the same confusion-matrix metrics.
func TestCompute_AgreesWithGolearn(t *testing.T) {
	classes := []string{"setosa", "versicolor", "virginica"}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		n := 30 + rng.IntN(200)
		yTrue, yPred := make([]int, n), make([]int, n)
		for i := range n {
			yTrue[i] = rng.IntN(len(classes))
			yPred[i] = yTrue[i]
			if rng.Float64() < 0.3 {
				yPred[i] = rng.IntN(len(classes))
			}
		}
		got := Compute(yTrue, yPred, classes)

		cm, err := evaluation.GetConfusionMatrix(labelGrid(t, yTrue, classes), labelGrid(t, yPred, classes))
		if err != nil {
			t.Fatal(err)
		}
		if want := evaluation.GetAccuracy(cm); math.Abs(got.Accuracy-want) > 1e-12 {
			t.Errorf("trial %d: accuracy = %v, golearn = %v", trial, got.Accuracy, want)
		}
		for i, c := range got.PerClass {
			name := classes[i]
			if want := evaluation.GetPrecision(name, cm); math.Abs(c.Precision-want) > 1e-12 {
				t.Errorf("trial %d: precision[%s] = %v, golearn = %v", trial, name, c.Precision, want)
			}
			if want := evaluation.GetRecall(name, cm); math.Abs(c.Recall-want) > 1e-12 {
				t.Errorf("trial %d: recall[%s] = %v, golearn = %v", trial, name, c.Recall, want)
			}
			if want := evaluation.GetF1Score(name, cm); math.Abs(c.F1-want) > 1e-12 {
				t.Errorf("trial %d: F1[%s] = %v, golearn = %v", trial, name, c.F1, want)
			}
			for j, count := range got.Confusion[i] {
				if want := cm[name][classes[j]]; count != want {
					t.Errorf("trial %d: confusion[%s][%s] = %d, golearn = %d", trial, name, classes[j], count, want)
				}
			}
		}
	}
}
