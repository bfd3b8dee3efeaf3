#!/usr/bin/env bash
# Regenerate every fixture: bash tooling/reference/generate.sh [python]
set -euo pipefail
python=${1:-python3}
cd "$(dirname "$0")/../.."
for script in tooling/reference/*.py; do
  [ "$(basename "$script")" = "common.py" ] && continue
  echo "== $script"
  "$python" "$script"
done
