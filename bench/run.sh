#!/usr/bin/env bash
# Runs the project's benchmark scripts one after the other; each prints its tables with the anchors measured in the
# same run (docs/benchmarks.md says what each measures). Arguments go to bench/validation.sh; bench/bff.sh (mva serve vs
# express-openid-connect) runs with its defaults; bench/startup.sh (`mva token` and `mva --version` vs /bin/true) with
# its defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bench/validation.sh "$@"
bench/bff.sh
bench/startup.sh
