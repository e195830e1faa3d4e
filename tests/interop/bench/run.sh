#!/usr/bin/env bash
# Benchmarks the simulator's ID-porten against oidc-provider configured the same way, on loopback, in one run:
# discovery, JWKS, token endpoint (authorization_code + PKCE with pre-minted codes) and refresh (one-time tokens),
# with wrk -c64 -t2 -d10s --latency; the token endpoints again at 4 connections (latency without queueing); RSS of
# each server from /proc while under load. oidc-provider runs with --jwt-access-tokens so that both servers sign two
# RS256 JWTs (access token + ID token) per token response. The same run measures the physical limit of the token
# endpoint (examples/sign_limit.rs: the fastest RS256 signing the project builds with, on every core at once, / 2)
# and prints every figure as a ratio against its anchor.
#
# Usage: tests/interop/bench/run.sh [DURATION]        (DURATION default 10s)
#        tests/interop/bench/run.sh --rss [DURATION]  (the simulator alone under refresh load for DURATION, default
#                                                      10m: its RSS every 30 s, to show memory stays flat)
#        SIM_BIN=/path/to/sim tests/interop/bench/run.sh   (use a built binary taking --port N --config FILE)
# Needs: wrk, node (tests/interop: npm ci), cargo. Builds the sim's example binaries in release:
#   cargo build --release -p mva-sim --example sim --example sign_limit   (into $CARGO_TARGET_DIR or ./target)
# Prints markdown tables on stdout; progress and raw wrk output go to stderr and bench/last-run/.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
INTEROP=$(dirname "$HERE")
ROOT=$(cd "$INTEROP/../.." && pwd)
RSS_MODE=
if [ "${1:-}" = --rss ]; then RSS_MODE=1; shift; fi
DURATION=${1:-$([ -n "$RSS_MODE" ] && echo 10m || echo 10s)}
CONNS=64
THREADS=2
OUT=$HERE/last-run
mkdir -p "$OUT"
chmod 700 "$OUT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SIM_BIN=${SIM_BIN:-}
SHARED_CLIENT=23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09
# The sim gives refresh tokens only to web clients that authenticate (as ID-porten): a client_secret_post client,
# so that the load is still one urlencoded body per request.
SIM_CLIENT=bench-web-client
SIM_SECRET=bench-web-client-secret-for-tests-only
REDIRECT=http://localhost:12345/token
PIDS=()

log() { echo "bench: $*" >&2; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -f "$OUT"/*-rt.txt "$OUT"/*-codes.txt # live credentials of the throw-away servers
}
trap cleanup EXIT

command -v wrk >/dev/null || { log "wrk is not installed (apt-get install wrk)"; exit 1; }
[ -d "$INTEROP/node_modules/oidc-provider" ] || { log "run 'npm ci' in tests/interop first"; exit 1; }

SIGN_LIMIT_BIN=${SIGN_LIMIT_BIN:-}
if [ -z "$SIM_BIN" ] || [ -z "$SIGN_LIMIT_BIN" ]; then
  log "building the simulator and the signing benchmark (release)"
  (cd "$ROOT" && cargo build --release -q -p mva-sim --example sim --example sign_limit)
  SIM_BIN=${SIM_BIN:-$TARGET/release/examples/sim}
  SIGN_LIMIT_BIN=${SIGN_LIMIT_BIN:-$TARGET/release/examples/sign_limit}
fi

# start NAME CMD...: starts a server, waits for its issuer line, sets ISSUER and SERVER_PID.
start() {
  local name=$1; shift
  "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do
    ISSUER=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$OUT/$name.stdout" | head -1 || true)
    [ -n "$ISSUER" ] && return 0
    sleep 0.1
  done
  log "$name did not print its issuer; stderr:"; cat "$OUT/$name.stderr" >&2; exit 1
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# bench SERVER ENDPOINT PID URL [LUA_SCRIPT SCRIPT_ARGS...]: runs wrk, samples RSS, appends a result row.
# CONNS may be overridden per call (CONNS=4 bench ...).
bench() {
  local server=$1 endpoint=$2 pid=$3 url=$4; shift 4
  local file="$OUT/$server-$endpoint.txt" peak=0 cmd
  cmd=(wrk -c"$CONNS" -t$THREADS -d"$DURATION" --latency)
  if [ $# -gt 0 ]; then cmd+=(-s "$1" "$url" -- "${@:2}"); else cmd+=("$url"); fi
  log "$server $endpoint: ${cmd[*]}"
  "${cmd[@]}" >"$file" &
  local wrk_pid=$!
  while kill -0 $wrk_pid 2>/dev/null; do
    local r; r=$(rss_kb "$pid"); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.5
  done
  wait $wrk_pid
  node "$HERE/summarize.mjs" "$file" "$server" "$endpoint" "$peak" >>"$OUT/rows.md"
}

# rps SERVER ENDPOINT: the 2xx requests per second of a row already in rows.md.
rps() {
  local name; name=$([ "$1" = sim ] && echo mva-sim || echo oidc-provider)
  awk -F'|' -v s="$name" -v e="$2" '{gsub(/ /,"",$2); gsub(/ /,"",$3)} $2==s && $3==e {gsub(/ /,"",$4); print $4}' "$OUT/rows.md"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

: >"$OUT/rows.md"
cat >"$OUT/sim.toml" <<EOF
[sim]
headless_login = true

[[integration]]
client_id = "$SIM_CLIENT"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
grant_types = ["authorization_code", "refresh_token"]
application_type = "web"
client_authentication = "client_secret_post"
client_secret = "$SIM_SECRET"
redirect_uris = ["$REDIRECT"]
EOF

log "starting the simulator"
start sim "$SIM_BIN" --port 0 --config "$OUT/sim.toml"
SIM=$ISSUER SIM_PID=$SERVER_PID

if [ -n "$RSS_MODE" ]; then
  # Memory under a long token load: 256 refresh chains rotating as fast as the simulator answers.
  node "$INTEROP/bench/mint.mjs" "$SIM" --profile sim --client $SIM_CLIENT --client-secret $SIM_SECRET --redirect-uri $REDIRECT --mode refresh --count 256 --out "$OUT/sim-rt.txt"
  cmd=(wrk -c$CONNS -t$THREADS -d"$DURATION" --latency -s "$HERE/refresh.lua" "$SIM/token" -- "$OUT/sim-rt.txt" $SIM_CLIENT $THREADS $SIM_SECRET)
  log "load: ${cmd[*]}"
  idle=$(rss_kb $SIM_PID)
  started=$(date +%s)
  "${cmd[@]}" >"$OUT/sim-rss-load.txt" &
  wrk_pid=$!
  echo "| seconds under load | RSS | token responses so far (logins included) |"
  echo "|---:|---:|---:|"
  issued() { curl -sf "$SIM/sim/admin/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).tokens_issued??"?")}catch{console.log("?")}})' || echo "?"; }
  echo "| 0 | $(( idle / 1024 )) MB | $(issued) |"
  while kill -0 $wrk_pid 2>/dev/null; do
    sleep 30
    kill -0 $wrk_pid 2>/dev/null || break
    echo "| $(( $(date +%s) - started )) | $(( $(rss_kb $SIM_PID) / 1024 )) MB | $(issued) |"
  done
  wait $wrk_pid
  node "$HERE/summarize.mjs" "$OUT/sim-rss-load.txt" sim refresh "$(hwm_kb $SIM_PID)" >"$OUT/rows.md"
  echo
  echo
  echo "| server | endpoint | requests/s (2xx only) | p50 ms | p99 ms | non-2xx | peak RSS (VmHWM) |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  cat "$OUT/rows.md"
  echo
  echo "Idle RSS $(( idle / 1024 )) MB; peak over the run (VmHWM) $(( $(hwm_kb $SIM_PID) / 1024 )) MB. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  exit 0
fi

log "the physical limit: $SIGN_LIMIT_BIN 5"
"$SIGN_LIMIT_BIN" 5 >"$OUT/sign-limit.txt"
cat "$OUT/sign-limit.txt" >&2
read -r _ LIMIT_BACKEND LIMIT_SIGS LIMIT_RESPONSES < <(grep '^limit:' "$OUT/sign-limit.txt")
OPENSSL_SIGS=$(openssl speed -seconds 5 -multi "$(nproc)" rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $(NF-1)}' || true)

log "starting oidc-provider"
start op node "$INTEROP/oidc-provider.mjs" 0 --code-ttl 600 --jwt-access-tokens
OP=$ISSUER OP_PID=$SERVER_PID
log "sim $SIM (pid $SIM_PID, idle RSS $(rss_kb $SIM_PID) kB); oidc-provider $OP (pid $OP_PID, idle RSS $(rss_kb $OP_PID) kB)"

for s in sim op; do
  if [ $s = sim ]; then url=$SIM pid=$SIM_PID; else url=$OP pid=$OP_PID; fi
  bench $s discovery $pid "$url/.well-known/openid-configuration"
  jwks=$(curl -sf "$url/.well-known/openid-configuration" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).jwks_uri))')
  bench $s jwks $pid "$jwks"
done

# Refresh: a pool of one-time refresh tokens per server; each response's new token is reused (refresh.lua).
node "$INTEROP/bench/mint.mjs" "$SIM" --profile sim --client $SIM_CLIENT --client-secret $SIM_SECRET --redirect-uri $REDIRECT --mode refresh --count 256 --out "$OUT/sim-rt.txt"
bench sim refresh $SIM_PID "$SIM/token" "$HERE/refresh.lua" "$OUT/sim-rt.txt" $SIM_CLIENT $THREADS $SIM_SECRET
node "$INTEROP/bench/mint.mjs" "$OP" --profile oidc-provider --client $SHARED_CLIENT --redirect-uri $REDIRECT --mode refresh --count 256 --out "$OUT/op-rt.txt"
bench op refresh $OP_PID "$OP/token" "$HERE/refresh.lua" "$OUT/op-rt.txt" $SHARED_CLIENT $THREADS

# Authorization code + PKCE: codes minted just before the run (the sim's codes live 30 s, as ID-porten's).
# Enough for 10 s at each server's rate (the sim answers about 2 800 codes/s here, oidc-provider about 1 400); fewer
# would run out before the end and understate the rate.
SIM_CODES=${SIM_CODES:-40000}
OP_CODES=${OP_CODES:-16000}
node "$INTEROP/bench/mint.mjs" "$SIM" --profile sim --client $SIM_CLIENT --client-secret $SIM_SECRET --redirect-uri $REDIRECT --mode codes --count "$SIM_CODES" --concurrency 64 --out "$OUT/sim-codes.txt"
bench sim code $SIM_PID "$SIM/token" "$HERE/code.lua" "$OUT/sim-codes.txt" $THREADS
node "$INTEROP/bench/mint.mjs" "$OP" --profile oidc-provider --client $SHARED_CLIENT --redirect-uri $REDIRECT --mode codes --count "$OP_CODES" --concurrency 32 --out "$OUT/op-codes.txt"
bench op code $OP_PID "$OP/token" "$HERE/code.lua" "$OUT/op-codes.txt" $THREADS

# The token endpoints at 4 connections: latency where queueing does not dominate (fresh refresh tokens).
node "$INTEROP/bench/mint.mjs" "$SIM" --profile sim --client $SIM_CLIENT --client-secret $SIM_SECRET --redirect-uri $REDIRECT --mode refresh --count 64 --out "$OUT/sim-rt.txt"
CONNS=4 bench sim refresh-c4 $SIM_PID "$SIM/token" "$HERE/refresh.lua" "$OUT/sim-rt.txt" $SIM_CLIENT $THREADS $SIM_SECRET
node "$INTEROP/bench/mint.mjs" "$OP" --profile oidc-provider --client $SHARED_CLIENT --redirect-uri $REDIRECT --mode refresh --count 64 --out "$OUT/op-rt.txt"
CONNS=4 bench op refresh-c4 $OP_PID "$OP/token" "$HERE/refresh.lua" "$OUT/op-rt.txt" $SHARED_CLIENT $THREADS

echo "| server | endpoint | requests/s (2xx only) | p50 ms | p99 ms | non-2xx | peak RSS under load |"
echo "|---|---|---:|---:|---:|---:|---:|"
cat "$OUT/rows.md"
echo
echo "Peak RSS over the whole run (VmHWM): sim $(( $(hwm_kb $SIM_PID) / 1024 )) MB, oidc-provider $(( $(hwm_kb $OP_PID) / 1024 )) MB."
echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), node $(node -v). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Signing (RSA-2048 RS256 signatures/s, $(nproc) cores at once, same run):"
sed 's/^/    /' "$OUT/sign-limit.txt"
echo "    openssl speed -multi $(nproc) rsa2048 (the system's OpenSSL CLI, for reference): ${OPENSSL_SIGS:-n/a}"
echo
echo "| ratio | value |"
echo "|---|---:|"
echo "| sim refresh / limit ($LIMIT_BACKEND: $LIMIT_SIGS signatures/s / 2 = $LIMIT_RESPONSES responses/s) | $(ratio "$(rps sim refresh)" "$LIMIT_RESPONSES") |"
echo "| sim code / limit | $(ratio "$(rps sim code)" "$LIMIT_RESPONSES") |"
if [ -n "${OPENSSL_SIGS:-}" ]; then
  echo "| sim refresh / OpenSSL CLI's limit (${OPENSSL_SIGS} / 2) | $(ratio "$(rps sim refresh)" "$(awk -v s="$OPENSSL_SIGS" 'BEGIN {print s / 2}')") |"
fi
echo "| sim refresh / oidc-provider refresh | $(ratio "$(rps sim refresh)" "$(rps op refresh)") |"
echo "| sim code / oidc-provider code | $(ratio "$(rps sim code)" "$(rps op code)") |"
echo "| sim discovery / oidc-provider discovery | $(ratio "$(rps sim discovery)" "$(rps op discovery)") |"
echo "| sim jwks / oidc-provider jwks | $(ratio "$(rps sim jwks)" "$(rps op jwks)") |"
