#!/usr/bin/env bash
# Runs the project's benchmark scripts one after the other; each prints its tables with the anchors measured in the
# same run (docs/benchmarks.md says what each measures). Arguments go to every script.
set -euo pipefail
cd "$(dirname "$0")/.."
bench/validation.sh "$@"
