#!/usr/bin/env bash
# Before and after a maintenance window: "is everything back as it was?"
#
#   premaintenance.sh before   # runs the premaintenance suite, keeps its summary.json as the baseline
#   premaintenance.sh after    # runs it again against that baseline; exit 1 if anything got worse
#
# PROFILE (production), SUITE (premaintenance), BASELINE_DIR (./baselines) and PYTEST
# (.venv/bin/pytest) may be set in the environment.
set -euo pipefail
phase="${1:?usage: premaintenance.sh before|after}"
profile="${PROFILE:-production}"
suite="${SUITE:-premaintenance}"
baselines="${BASELINE_DIR:-./baselines}"
pytest="${PYTEST:-.venv/bin/pytest}"
baseline="$baselines/$(basename "$profile" .yaml)-$suite.json"
reports="$baselines/$phase-reports"

case "$phase" in
  before)
    mkdir -p "$baselines"
    "$pytest" --profile="$profile" -m "$suite" -p no:cacheprovider -q --reports-dir="$reports" || {
      echo "premaintenance: checks fail BEFORE the window; see $reports/summary.html" >&2
      exit 1
    }
    cp "$reports/summary.json" "$baseline"
    echo "premaintenance: baseline saved to $baseline"
    ;;
  after)
    [ -f "$baseline" ] || { echo "premaintenance: no baseline at $baseline; run 'before' first" >&2; exit 2; }
    status=0
    "$pytest" --profile="$profile" -m "$suite" -p no:cacheprovider -q --reports-dir="$reports" \
      --baseline="$baseline" || status=$?
    worse="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["baseline"]["worse"]))' \
      "$reports/summary.json")"
    if [ "$status" -ne 0 ] || [ "$worse" -ne 0 ]; then
      echo "premaintenance: NOT back as it was: $worse check(s) worse, exit status $status;" \
        "see $reports/summary.html" >&2
      exit 1
    fi
    echo "premaintenance: everything is back as it was"
    ;;
  *)
    echo "usage: premaintenance.sh before|after" >&2
    exit 2
    ;;
esac
