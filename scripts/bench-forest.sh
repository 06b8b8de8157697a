#!/usr/bin/env bash
# Measures forest fit time against scikit-learn on the same machine in one sitting and
# prints the ratio per data set (goal: at most 0.5). Needs Debian's python3-sklearn
# (/usr/bin/python3; a pyenv python3 earlier in PATH lacks it).
set -euo pipefail
cd "$(dirname "$0")/.."

sklearn=$(/usr/bin/python3 scripts/sklearn_fit_times.py testdata/datasets)
gobench=$(go test ./pkg/forest -run '^$' -bench '^BenchmarkFit$' -benchtime 20x -count 5)
echo "$gobench" | grep '^BenchmarkFit/' >&2

SKLEARN="$sklearn" GOBENCH="$gobench" /usr/bin/python3 - <<'PY'
import json, os, re
sk = json.loads(os.environ["SKLEARN"])
best = {}
for line in os.environ["GOBENCH"].splitlines():
    m = re.match(r"BenchmarkFit/(\w+)-\d+\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        seconds = float(m.group(2)) / 1e9
        best[m.group(1)] = min(best.get(m.group(1), seconds), seconds)
print(f"{'data set':15} {'mlops s':>10} {'sklearn s':>10} {'ratio':>7}")
for name, sk_s in sk.items():
    go_s = best[name]
    print(f"{name:15} {go_s:10.4f} {sk_s:10.4f} {go_s / sk_s:7.3f}")
PY
