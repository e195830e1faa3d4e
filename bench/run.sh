#!/usr/bin/env bash
# Runs the project's benchmark scripts one after the other; each prints its tables with the anchors measured in the
# same run (docs/benchmarks.md says what each measures). Arguments go to bench/validation.sh; the others run with
# their defaults: tests/interop/bench/run.sh (the simulator's token endpoint vs oidc-provider and the signing limit;
# its 10-minute memory run is `tests/interop/bench/run.sh --rss`), bench/bff.sh (mva serve vs
# express-openid-connect), bench/startup.sh (`mva token` and `mva --version` vs /bin/true).
set -euo pipefail
cd "$(dirname "$0")/.."
tests/interop/bench/run.sh
bench/validation.sh "$@"
bench/bff.sh
bench/startup.sh
