#!/usr/bin/env bash
# Build the Allure 3 HTML report of a run, one self-contained file, carrying Allure's history
# between runs:  scripts/allure-html.sh [REPORTS_DIR]  ->  REPORTS_DIR/allure-report/index.html
#
# Needs node and npm: the `allure` npm package (Allure 3) is installed into .allure/ on first use
# (or ALLURE_PREFIX=DIR where it is already installed). The history (allure-history.jsonl) lives
# beside allure-results/, which each run cleans, so trends and retries span runs.
set -euo pipefail
reports="$(cd "${1:-reports}" && pwd)"
prefix="${ALLURE_PREFIX:-$(cd "$(dirname "$0")/.." && pwd)/.allure}"
allure="$prefix/node_modules/.bin/allure"
if [ ! -x "$allure" ]; then
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error allure@3 >&2
fi
profile="$(sed -n 's/^profile=//p' "$reports/allure-results/environment.properties" 2>/dev/null || true)"
cat >"$reports/allurerc.json" <<JSON
{
  "name": "opsgate ${profile:-run}",
  "output": "$reports/allure-report",
  "historyPath": "$reports/allure-history.jsonl",
  "categories": $(cat "$reports/allure-results/categories.json" 2>/dev/null || echo '[]'),
  "plugins": {"awesome": {"options": {"singleFile": true, "reportLanguage": "en", "groupBy": ["feature", "story"]}}}
}
JSON
"$allure" generate --config "$reports/allurerc.json" "$reports/allure-results" >&2
echo "$reports/allure-report/index.html"
