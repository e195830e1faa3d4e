#!/usr/bin/env bash
# Local validation benchmarks (docs/benchmarks.md, "VAT returns"): every figure side by side with its anchor,
# xmllint --noout --schema on the same files, in the same run, interleaved, median of REPS runs.
#   1. throughput on the published examples, 1 and 2 threads vs xmllint (crates/mva/examples/bench_validate.rs);
#   2. time and peak memory for returns of 1, 100, 10 000 and 100 000 specification lines;
#   3. `mva validate --offline` over 1 000 files.
# Usage: bench/validation.sh [REPS]          (needs xmllint: Debian package libxml2-utils; GNU time: /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-5}"
cargo build --release -q -p mva --example bench_validate --example validate_one
cargo build --release -q -p mva-cli
target="${CARGO_TARGET_DIR:-target}/release"
xsd=crates/mva/schemas/no.skatteetaten.fastsetting.avgift.mva.skattemeldingformerverdiavgift.v1.0.xsd
examples=crates/mva/testdata/mva-meldingen/examples/melding
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# run CMD...: appends "seconds maxrss_kB" of one run to $out
# (GNU time puts "Command exited with non-zero status" first when it did: `mva validate` exits 1 on an invalid file)
# The wall time is taken with date's nanoseconds (GNU time's %e has a 10 ms step); the peak RSS is GNU time's %M.
timed() {
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$work/t" "$@" >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }') $(tail -n 1 "$work/t")" >>"$out"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u '+%F %H:%M') UTC"
echo
echo "## 1. Throughput on the published examples ($reps interleaved rounds)"
"$target/examples/bench_validate" "$examples" 30 "$reps"

echo
echo "## 2. Cost as the return grows (mvakode1.xml with its specification line repeated; median of $reps)"
# The sums no longer match fastsattMerverdiavgift beyond one line: a deviation finding, the same work otherwise.
# Each process validates the file K times (K = 200 000 / (lines + 100), at least 1) so that small files are timed
# over more than the clock's 10 ms; the time shown is per validation, process start and schema compilation
# included once per K. Peak RSS is the process's (one document at a time).
src="$examples/mvakode1.xml"
head_end=$(grep -n '<mvaSpesifikasjonslinje>' "$src" | head -1 | cut -d: -f1)
line_end=$(grep -n '</mvaSpesifikasjonslinje>' "$src" | head -1 | cut -d: -f1)
echo "| spec. lines | file | K | mva time | mva peak RSS | mva RSS above the 1-line run / file | xmllint time | xmllint peak RSS | mva speed vs xmllint | mva µs per line |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
base_rss=""
for n in 1 100 10000 100000; do
  f="$work/lines-$n.xml"
  {
    head -n $((head_end - 1)) "$src"
    block="$(sed -n "${head_end},${line_end}p" "$src")"
    for ((i = 0; i < n; i++)); do printf '%s\n' "$block"; done
    tail -n +$((line_end + 1)) "$src"
  } >"$f"
  bytes=$(stat -c %s "$f")
  k=$((200000 / (n + 100))); [ $k -ge 1 ] || k=1
  copies=(); for ((i = 0; i < k; i++)); do copies+=("$f"); done
  # the product's limits are 25 MB and 200 000 elements: given explicitly (50 MB, 1 000 000) for every size
  out="$work/mva-$n"; : >"$out"; out2="$work/xl-$n"; : >"$out2"
  for ((r = 0; r < reps; r++)); do
    out="$work/mva-$n" timed "$target/examples/validate_one" "$f" 52428800 1000000 "$k"
    out="$work/xl-$n" timed xmllint --noout --nonet --schema "$xsd" "${copies[@]}"
  done
  mt=$(cut -d' ' -f1 "$work/mva-$n" | median); mm=$(cut -d' ' -f2 "$work/mva-$n" | median)
  xt=$(cut -d' ' -f1 "$work/xl-$n" | median); xm=$(cut -d' ' -f2 "$work/xl-$n" | median)
  [ -n "$base_rss" ] || base_rss=$mm
  awk -v n="$n" -v k="$k" -v b="$bytes" -v mt="$mt" -v mm="$mm" -v xt="$xt" -v xm="$xm" -v base="$base_rss" 'BEGIN {
    printf "| %d | %.3f MB | %d | %.3f ms | %.1f MB | %s | %.3f ms | %.1f MB | %.2fx | %.2f |\n",
      n, b/1e6, k, mt*1e3/k, mm/1024, (n > 1 ? sprintf("%.1fx", (mm - base)*1024/b) : "-"), xt*1e3/k, xm/1024, xt/mt, mt*1e6/k/n }'
done
"$target/examples/validate_one" "$work/lines-100000.xml" 52428800 1000000 | cut -c1-300
"$target/examples/validate_one" "$work/lines-100000.xml" | cut -c1-300

echo
echo "## 3. mva validate --offline over 1 000 files (the 34 examples copied; median of $reps)"
mkdir -p "$work/many"
i=0
while [ $i -lt 1000 ]; do
  for f in "$examples"/*.xml; do
    [ $i -lt 1000 ] || break
    cp "$f" "$work/many/$(printf %04d $i)-$(basename "$f")"; i=$((i + 1))
  done
done
echo "| command | wall time | peak RSS | vs xmllint (time) |"
echo "|---|---:|---:|---:|"
: >"$work/v1"; : >"$work/v2"; : >"$work/vx"
for ((r = 0; r < reps; r++)); do
  out="$work/v1" timed "$target/mva" validate --offline --jobs 1 "$work"/many/*.xml
  out="$work/v2" timed "$target/mva" validate --offline --jobs 2 "$work"/many/*.xml
  out="$work/vx" timed xmllint --noout --nonet --schema "$xsd" "$work"/many/*.xml
done
xt=$(cut -d' ' -f1 "$work/vx" | median)
for k in v1:"mva validate --offline --jobs 1" v2:"mva validate --offline --jobs 2" vx:"xmllint --noout --schema"; do
  t=$(cut -d' ' -f1 "$work/${k%%:*}" | median); m=$(cut -d' ' -f2 "$work/${k%%:*}" | median)
  awk -v name="${k#*:}" -v t="$t" -v m="$m" -v xt="$xt" 'BEGIN {
    printf "| `%s` | %.3f s | %.1f MB | %.2fx |\n", name, t, m/1024, xt/t }'
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${BENCH_CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null; then
  echo
  echo "## 4. Instructions per validated file (valgrind --tool=callgrind: repeatable on a loaded machine)"
  # per file = (instructions for 10 passes over the examples - for 1 pass) / (9 x files): start-up and schema
  # compilation cancel out.
  cargo build --release -q -p mva --example profile_validate
  nfiles=$(ls "$examples"/*.xml | wc -l)
  # (xmllint exits 3 when a file is invalid: two of the examples are)
  irefs() { { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null || true; } | awk '/I +refs:/ {gsub(",", "", $NF); print $NF}'; }
  m1=$(irefs "$target/examples/profile_validate" "$examples" 1)
  m10=$(irefs "$target/examples/profile_validate" "$examples" 10)
  ten=(); for ((i = 0; i < 10; i++)); do ten+=("$examples"/*.xml); done
  x1=$(irefs xmllint --noout --nonet --schema "$xsd" "$examples"/*.xml)
  x10=$(irefs xmllint --noout --nonet --schema "$xsd" "${ten[@]}")
  awk -v m1="$m1" -v m10="$m10" -v x1="$x1" -v x10="$x10" -v n="$nfiles" 'BEGIN {
    m = (m10 - m1) / (9 * n); x = (x10 - x1) / (9 * n)
    printf "| validator | instructions per file | vs xmllint |\n|---|---:|---:|\n"
    printf "| `mva::validate_file` (profile_validate) | %.0f | %.2fx fewer |\n", m, x / m
    printf "| `xmllint --noout --schema` | %.0f | 1.00x |\n", x }'
fi
