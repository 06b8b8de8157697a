package dataset

import (
	"fmt"
	"slices"
	"strings"
)

// checkConflictingLabels finds identical feature rows with different labels.
// It warns rather than fails: rounded or coarse measurements produce such
// rows in honest data. They only cap the accuracy any model can reach, so
// the user should know, but training can go on.
func checkConflictingLabels(ds *Dataset, keys []string) CheckResult {
	r := CheckResult{Name: CheckConflictingLabel, Status: StatusPass,
		Detail: "no identical feature rows with different labels"}
	groups := make(map[string][]int, len(keys))
	var order []string
	for i, key := range keys {
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}

	var listed []string
	for _, key := range order {
		rows := groups[key]
		labels := distinctLabels(ds, rows)
		if len(labels) < 2 {
			continue
		}
		r.Count++
		numbers := make([]string, len(rows))
		for k, i := range rows {
			numbers[k] = fmt.Sprint(ds.rowNumber(i))
			if len(r.Rows) < maxExamples {
				r.Rows = append(r.Rows, ds.rowNumber(i))
			}
		}
		if len(listed) < maxListed {
			listed = append(listed, fmt.Sprintf("rows %s (%s)", strings.Join(numbers, ", "), quoteList(labels)))
		}
	}
	if r.Count > 0 {
		r.Status = StatusWarn
		r.Detail = fmt.Sprintf("%s of rows with identical features but different labels, so no model can get all of them right: %s%s",
			plural(r.Count, "group"), strings.Join(listed, "; "), more(r.Count, len(listed)))
	}
	return r
}

func distinctLabels(ds *Dataset, rows []int) []string {
	var ys []int
	for _, i := range rows {
		if !slices.Contains(ys, ds.Y[i]) {
			ys = append(ys, ds.Y[i])
		}
	}
	slices.Sort(ys)
	names := make([]string, len(ys))
	for k, y := range ys {
		names[k] = ds.Classes[y]
	}
	return names
}

// checkTrainTestOverlap counts test rows whose features equal a train row.
// Such rows leak into the evaluation and make the test score too high.
func checkTrainTestOverlap(ds *Dataset, keys []string, train, test []int) CheckResult {
	r := CheckResult{Name: CheckTrainTestOverlap, Status: StatusPass,
		Detail: fmt.Sprintf("no test row has the same features as a train row (%d train, %d test rows)", len(train), len(test))}
	inTrain := make(map[string]int, len(train))
	for _, i := range train {
		if _, ok := inTrain[keys[i]]; !ok {
			inTrain[keys[i]] = i
		}
	}
	var pairs []string
	for _, i := range test {
		j, ok := inTrain[keys[i]]
		if !ok {
			continue
		}
		r.Count++
		if len(r.Rows) < maxExamples {
			r.Rows = append(r.Rows, ds.rowNumber(i))
		}
		if len(pairs) < maxListed {
			pairs = append(pairs, fmt.Sprintf("row %d = row %d", ds.rowNumber(i), ds.rowNumber(j)))
		}
	}
	if r.Count > 0 {
		r.Status = StatusWarn
		r.Detail = fmt.Sprintf("%d of %d test rows have the same features as a train row (test = train): %s%s",
			r.Count, len(test), strings.Join(pairs, ", "), more(r.Count, len(pairs)))
	}
	return r
}
