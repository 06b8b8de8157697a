// Package evaluate scores classifiers: accuracy, macro F1, per-class
// precision, recall and F1 and the confusion matrix, plus deterministic
// stratified hold-out splits and k-fold assignments. Class labels are
// indices into a class-name slice, as in pkg/dataset.
package evaluate

import "fmt"

// ClassMetrics are the scores of one class.
type ClassMetrics struct {
	Class     string  `json:"class"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"` // rows whose true label is this class
}

// Metrics are the scores of a set of predictions.
type Metrics struct {
	Accuracy float64        `json:"accuracy"`
	MacroF1  float64        `json:"macro_f1"`
	PerClass []ClassMetrics `json:"per_class"`
	// Confusion[i][j] counts rows of true class i predicted as class j.
	Confusion [][]int `json:"confusion"`
}

// Compute scores predictions yPred against the true labels yTrue, both
// indices into classes. A ratio with a zero denominator (precision of a
// class never predicted, recall of a class absent from yTrue) is 0, as in
// scikit-learn with zero_division=0. MacroF1 averages F1 over the classes
// that occur in yTrue or yPred, as scikit-learn does when not given a
// label list. Empty input gives all-zero metrics. Compute panics when the
// slices differ in length or a label is outside [0, len(classes)): both
// are programming errors, since labels come from the caller's own encoding.
func Compute(yTrue, yPred []int, classes []string) Metrics {
	if len(yTrue) != len(yPred) {
		panic(fmt.Sprintf("evaluate: Compute got %d true labels and %d predictions", len(yTrue), len(yPred)))
	}
	m := Metrics{Confusion: confusion(yTrue, yPred, len(classes))}

	correct := 0
	predicted := make([]int, len(classes))
	for i, row := range m.Confusion {
		correct += row[i]
		for j, n := range row {
			predicted[j] += n
		}
	}
	if len(yTrue) > 0 {
		m.Accuracy = float64(correct) / float64(len(yTrue))
	}

	present := 0
	for i, name := range classes {
		cm := classMetrics(name, m.Confusion[i], i, predicted[i])
		m.PerClass = append(m.PerClass, cm)
		if cm.Support > 0 || predicted[i] > 0 {
			present++
			m.MacroF1 += cm.F1
		}
	}
	if present > 0 {
		m.MacroF1 /= float64(present)
	}
	return m
}

func confusion(yTrue, yPred []int, numClasses int) [][]int {
	matrix := make([][]int, numClasses)
	for i := range matrix {
		matrix[i] = make([]int, numClasses)
	}
	for i, t := range yTrue {
		p := yPred[i]
		if t < 0 || t >= numClasses || p < 0 || p >= numClasses {
			panic(fmt.Sprintf("evaluate: row %d has true label %d and prediction %d, expected 0 to %d",
				i, t, p, numClasses-1))
		}
		matrix[t][p]++
	}
	return matrix
}

// classMetrics scores class i from its confusion-matrix row and the number
// of rows predicted as i.
func classMetrics(name string, row []int, i, predicted int) ClassMetrics {
	cm := ClassMetrics{Class: name}
	for _, n := range row {
		cm.Support += n
	}
	truePositives := float64(row[i])
	if predicted > 0 {
		cm.Precision = truePositives / float64(predicted)
	}
	if cm.Support > 0 {
		cm.Recall = truePositives / float64(cm.Support)
	}
	if cm.Precision+cm.Recall > 0 {
		cm.F1 = 2 * cm.Precision * cm.Recall / (cm.Precision + cm.Recall)
	}
	return cm
}
