#!/usr/bin/env bash
# Local validation throughput of the mva crate vs xmllint on the same files (needs libxml2-utils for xmllint).
# Usage: crates/mva/bench/validate.sh [DIR] [REPEAT] [ROUNDS]   (all validation benchmarks: bench/validation.sh)
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --release -q -p mva --example bench_validate
target="${CARGO_TARGET_DIR:-target}"
"$target/release/examples/bench_validate" "$@"
