#!/usr/bin/env python3
"""Time scikit-learn's RandomForestClassifier (100 trees) on the reference CSVs.

Prints one JSON object: data set -> best fit seconds over n_jobs=1 and n_jobs=-1,
each the median of REPEATS fits. Needs Debian's python3-sklearn.
"""
import csv
import json
import statistics
import sys
import time

from sklearn.ensemble import RandomForestClassifier

REPEATS = 5


def load(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    features = [[float(v) for v in row[:-1]] for row in rows[1:]]
    labels = [row[-1] for row in rows[1:]]
    return features, labels


def median_fit_seconds(x, y, n_jobs):
    times = []
    for _ in range(REPEATS):
        forest = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=n_jobs)
        start = time.perf_counter()
        forest.fit(x, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "testdata/datasets"
    result = {}
    for name in ("iris", "wine", "breast_cancer"):
        x, y = load(f"{folder}/{name}.csv")
        result[name] = min(median_fit_seconds(x, y, 1), median_fit_seconds(x, y, -1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
