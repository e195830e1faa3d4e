#!/usr/bin/env bash
# docs/benchmarks.md "Web: mva serve": an authenticated request through `mva serve` (sessions in Redis, sidecar
# mode `--upstream`) vs the same through express-openid-connect (sessions in Redis through connect-redis), vs the
# upstream hit directly, side by side in one run, on 127.0.0.1 only. Both BFFs log in once against `mva sim`
# (headless login switch) and are loaded with wrk carrying the session cookie.
# Usage: bench/bff.sh [DURATION] [CONNECTIONS...]     (default 10s, 1 16 64)
# BFF_PERF=FILE: also record a CPU profile of mva serve during each of its runs (perf, FILE-CONNECTIONS).
# Needs: redis-server, wrk, node + `npm ci` in bench/bff, cargo (or MVA=path/to/release/mva).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10s}"; shift || true
conns=("${@:-1 16 64}"); read -r -a conns <<<"${conns[*]}"
if [ -z "${MVA:-}" ]; then
  cargo build --release -q -p mva-cli
  MVA="${CARGO_TARGET_DIR:-target}/release/mva"
fi
[ -d bench/bff/node_modules ] || (cd bench/bff && npm ci --no-audit --no-fund >/dev/null)

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # URL: until it answers at all (any status), 20 s at most
  for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2; exit 1
}
secret() { openssl rand -base64 32; }

redis_port=$(free_port); sim_port=$(free_port); up_port=$(free_port); mva_port=$(free_port); eoc_port=$(free_port)
issuer="http://127.0.0.1:$sim_port"
mva_url="http://127.0.0.1:$mva_port"; eoc_url="http://127.0.0.1:$eoc_port"; up_url="http://127.0.0.1:$up_port"
mva_secret="$(secret)"; eoc_secret="$(secret)"

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)

cat >"$work/sim.toml" <<TOML
[sim]
port = $sim_port
issuer = "$issuer"
headless_login = true

[[integration]]
client_id = "bench-mva-serve"
name = "bench mva serve"
organisation_number = "310000019"
scopes = ["openid"]
grant_types = ["authorization_code", "refresh_token"]
client_authentication = "client_secret_basic"
client_secret = "$mva_secret"
application_type = "web"
redirect_uris = ["$mva_url/oauth2/callback"]
post_logout_redirect_uris = ["$mva_url/oauth2/logout/callback"]
[integration.lifetimes]
authorization = 7200
access_token = 3600
refresh_token = 7200

[[integration]]
client_id = "bench-express-openid-connect"
name = "bench express-openid-connect"
organisation_number = "310000019"
scopes = ["openid"]
grant_types = ["authorization_code", "refresh_token"]
client_authentication = "client_secret_basic"
client_secret = "$eoc_secret"
application_type = "web"
redirect_uris = ["$eoc_url/callback"]
[integration.lifetimes]
authorization = 7200
access_token = 3600
refresh_token = 7200
TOML
"$MVA" sim --config "$work/sim.toml" >"$work/sim.log" 2>&1 &
pids+=($!)
node bench/bff/upstream.mjs "$up_port" >"$work/upstream.log" 2>&1 &
pids+=($!)
wait_http "$issuer/.well-known/openid-configuration"
wait_http "$up_url/"

mkdir -p "$work/home"
MVA_HOME="$work/home" MVA_CLIENT_SECRET="$mva_secret" MVA_SESSION_KEY="$(secret)" MVA_SCOPE=openid \
  "$MVA" serve --issuer "$issuer" --client-id bench-mva-serve --client-auth client_secret_basic \
  --listen "127.0.0.1:$mva_port" --public-url "$mva_url" --redis "redis://127.0.0.1:$redis_port/0" \
  --upstream "$up_url" >"$work/mva.log" 2>&1 &
mva_pid=$!; pids+=($mva_pid)
EOC_CLIENT_SECRET="$eoc_secret" EOC_SECRET="$(secret)" \
  node bench/bff/express-bff.mjs "$eoc_port" "$issuer" bench-express-openid-connect "$up_url" \
  "redis://127.0.0.1:$redis_port/1" >"$work/eoc.log" 2>&1 &
eoc_pid=$!; pids+=($eoc_pid)
wait_http "$mva_url/healthz" || { cat "$work/mva.log"; exit 1; }
wait_http "$eoc_url/" || { cat "$work/eoc.log"; exit 1; }

# Log in once through each BFF (up to 3 tries, each reported on stderr), then check that the BFF forwards the request with the
# session's access token, and none without a session (mva serve forwards anonymous requests without a token, like
# wonderwall; express-openid-connect redirects to its login).
login_side() { # SIDE LOGIN_URL: sets ${SIDE}_cookie
  local side="$1" url="${1}_url" got c try
  for try in 1 2 3; do
    c="$(node bench/bff/login.mjs "$2" "$issuer")" || { cat "$work/$side.log" >&2; exit 1; }
    got="$(curl -s -H "Cookie: $c" "${!url}/check")"
    if [ "$got" = bearer ]; then printf -v "${side}_cookie" '%s' "$c"; return 0; fi
    echo "$side: login try $try: the upstream saw ${got:0:80}" >&2
  done
  cat "$work/$side.log" >&2; exit 1
}
login_side mva "$mva_url/oauth2/login?redirect=/"
login_side eoc "$eoc_url/login"
for side in mva eoc; do
  url="${side}_url"
  [ "$(curl -s "${!url}/check")" != bearer ] || { echo "$side forwarded a token without a session" >&2; exit 1; }
done

rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MB  ", $1, $2/1024}' "/proc/$1/status"; }
ms() { # wrk's latency (e.g. 812.00us, 1.20ms, 1.01s) in ms
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
redis_calls() { redis-cli -p "$redis_port" info commandstats | awk -F'[=,]' '/^cmdstat_/ && !/cmdstat_info/ {n += $2} END {print n + 0}'; }
load() { # NAME URL COOKIE C: one wrk run; prints "rps p50ms p99ms non2xx redis-commands-per-request"
  local threads=$(( $4 < 2 ? 1 : 2 ))
  local out="$work/wrk-$1-$4.txt" rps p50 p99 bad before after total
  before=$(redis_calls)
  if [ -n "${BFF_PERF:-}" ] && [ "$1" = mva ]; then # a CPU profile of mva serve during its run: BFF_PERF=FILE
    perf record -F 499 ${BFF_PERF_ALL:+-a} ${BFF_PERF_ALL:--p "$mva_pid"} -o "$BFF_PERF-$4" -- sleep "${duration%s}" >/dev/null 2>&1 &
  fi
  if [ -n "$3" ]; then wrk -t"$threads" -c"$4" -d"$duration" --latency -H "Cookie: $3" "$2/bench" >"$out"
  else wrk -t"$threads" -c"$4" -d"$duration" --latency "$2/bench" >"$out"; fi
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  p50=$(ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(ms "$(awk '$1 == "99%" {print $2}' "$out")")
  bad=$(awk '/Non-2xx/ {print $NF}' "$out"); bad=${bad:-0}
  after=$(redis_calls); total=$(awk '/requests in/ {print $1}' "$out")
  echo "$rps $p50 $p99 $bad $(awk -v a="$after" -v b="$before" -v t="$total" 'BEGIN {printf "%.2f", (a - b - 1) / t}')"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u '+%F %H:%M') UTC"
echo "wrk -t1/2 -cC -d$duration --latency -H 'Cookie: <session>' URL/bench   (upstream: node http, 200, 20-byte body)"
echo "RSS after login: mva serve: $(rss $mva_pid)| express-openid-connect: $(rss $eoc_pid)"
echo
echo "| connections | direct req/s | mva serve req/s | express-openid-connect req/s | mva / express | direct p50 | mva p50 (added) | express p50 (added) | mva p99 | express p99 | non-2xx mva / express | Redis commands per request mva / express |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in "${conns[@]}"; do
  read -r d_rps d_p50 _ _ _ < <(load direct "$up_url" "" "$c")
  read -r m_rps m_p50 m_p99 m_bad m_redis < <(load mva "$mva_url" "$mva_cookie" "$c")
  read -r e_rps e_p50 e_p99 e_bad e_redis < <(load eoc "$eoc_url" "$eoc_cookie" "$c")
  awk -v c="$c" -v d="$d_rps" -v m="$m_rps" -v e="$e_rps" -v dp="$d_p50" -v mp="$m_p50" -v ep="$e_p50" \
    -v m99="$m_p99" -v e99="$e_p99" -v mb="$m_bad" -v eb="$e_bad" -v mr="$m_redis" -v er="$e_redis" 'BEGIN {
    printf "| %d | %.0f | %.0f | %.0f | %.1f x | %.3f ms | %.3f ms (+%.3f) | %.3f ms (+%.3f) | %.3f ms | %.3f ms | %s / %s | %s / %s |\n",
      c, d, m, e, m / e, dp, mp, mp - dp, ep, ep - dp, m99, e99, mb, eb, mr, er }'
done
echo
echo "RSS after the runs: mva serve: $(rss $mva_pid)| express-openid-connect: $(rss $eoc_pid)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
