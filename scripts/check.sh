#!/usr/bin/env bash
# The static checks of .ci/run: ruff, the stages' import order (import-linter, contracts in pyproject.toml)
# and mypy on the core modules (the list in pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check --quiet .
.venv/bin/lint-imports --no-cache > /tmp/reportgen-lint-imports.log 2>&1 || { cat /tmp/reportgen-lint-imports.log; exit 1; }
.venv/bin/mypy --no-error-summary
echo "[check] ruff, import layers, mypy: ok"
