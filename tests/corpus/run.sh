#!/usr/bin/env bash
# Replays the reference corpus through build/aws-s3 with the corpus's own
# comparison tool and fails unless every scenario passes or is a documented,
# deliberate difference (tests/corpus/expected-differences.txt, each one
# explained in docs/compatibility.md).
#   tests/corpus/run.sh [SCENARIO_GLOB...]      default: every scenario
# The corpus is taken from $AWS_S3_CORPUS, default ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${AWS_S3_CORPUS:-../shared/corpus}
if [ ! -f "$corpus/tools/compare.py" ]; then
    echo "corpus: no corpus at $corpus (set AWS_S3_CORPUS); skipped" >&2
    exit 0
fi
if ! command -v moto_server >/dev/null && ! python3 -c 'import moto.server' 2>/dev/null; then
    echo "corpus: moto_server is not installed; skipped" >&2
    exit 0
fi
dirs=()
if [ $# -eq 0 ]; then set -- '*'; fi
for g in "$@"; do
    for d in "$corpus"/$g; do [ -f "$d/scenario.json" ] && dirs+=("$d"); done
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
python3 "$corpus/tools/compare.py" --impl build/aws-s3 --loose-errors "${dirs[@]}" | tee "$out" || true
grep -q ' passed, ' "$out" || { echo "corpus: the comparison did not complete" >&2; exit 1; }
expected=tests/corpus/expected-differences.txt
unexpected=$(grep '^FAIL ' "$out" | awk '{print $2}' | while read -r s; do
    grep -qx "$s" <(grep -v '^#' "$expected" | awk '{print $1}') || echo "$s"
done)
if [ -n "$unexpected" ]; then
    echo "corpus: scenarios failing without a documented reason:" $unexpected >&2
    exit 1
fi
echo "corpus: every failure is a documented difference (docs/compatibility.md)"
