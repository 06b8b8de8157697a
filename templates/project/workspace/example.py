"""Train a small model locally and compare it with the served model.

Reads data/iris.csv, fits a nearest-centroid classifier with the standard
library, then sends every row to the API and prints how often the two agree
and how often each is right. Needs MLOPS_TOKEN with the predict role.
"""

import csv
import math
import os
import sys

import connect_api

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "iris.csv")


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [([float(v) for v in row[:-1]], row[-1]) for row in reader if row]
    return header[:-1], rows


def fit_centroids(rows):
    sums, counts = {}, {}
    for features, label in rows:
        total = sums.setdefault(label, [0.0] * len(features))
        for i, value in enumerate(features):
            total[i] += value
        counts[label] = counts.get(label, 0) + 1
    return {label: [v / counts[label] for v in total] for label, total in sums.items()}


def predict_centroid(centroids, features):
    return min(centroids, key=lambda label: math.dist(centroids[label], features))


def main():
    names, rows = load(DATA)
    centroids = fit_centroids(rows)
    print(f"trained a nearest-centroid model on {len(rows)} rows, features {names}")
    agree = local_right = api_right = 0
    for features, label in rows:
        local = predict_centroid(centroids, features)
        served = connect_api.predict(dict(zip(names, features)))
        served_class = served.get("class_name", served.get("class"))
        agree += local == served_class
        local_right += local == label
        api_right += served_class == label
    n = len(rows)
    print(f"local accuracy {local_right / n:.3f}, API accuracy {api_right / n:.3f}, agreement {agree / n:.3f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except connect_api.APIError as err:
        print(f"API request failed: {err}", file=sys.stderr)
        sys.exit(1)
