#!/usr/bin/env bash
# `mva` start-up (issue 10, item 3): `mva token` with a valid stored token and `mva --version`, each against
# /bin/true in the same hyperfine run, and the shared libraries the dynamic loader maps for each (libxml2, and the
# ICU, liblzma and libstdc++ it pulls in, must not be among them: the mva library loads libxml2 on first validation).
# Usage: bench/startup.sh [RUNS]   (needs: cargo build --release -p mva-cli; hyperfine; curl; python3)
#   MVA=path/to/mva bench/startup.sh     measures another build (e.g. an older one, for a before/after)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000}
MVA=$(realpath "${MVA:-target/release/mva}")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export MVA_HOME=$(mktemp -d)
"$MVA" sim --port "$PORT" --headless-login >/dev/null 2>&1 &
SIM=$!
trap 'kill $SIM; rm -rf "$MVA_HOME"' EXIT
ISSUER=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -fsS -o /dev/null "$ISSUER/.well-known/openid-configuration" 2>/dev/null && break; sleep 0.1; done
# The simulator's web client (as the end-to-end tests log in); `mva token` below reads the same settings.
export MVA_ISSUER=$ISSUER MVA_CLIENT_ID=mva-sim-refresh-client MVA_CLIENT_AUTH=client_secret_basic \
  MVA_CLIENT_SECRET=mva-sim-refresh-client-secret
BROWSER="sh -c 'exec curl -fsS -o /dev/null -L \"\$0&sim_pid=01818510078\"'"
"$MVA" login --redirect-uri http://127.0.0.1:0/callback --browser-command "$BROWSER" --timeout 20 >/dev/null
"$MVA" token >/dev/null   # the stored token is valid: this answers from the file, no network

echo "== libraries: the binary's NEEDED entries, and those the loader initialises per command (LD_DEBUG=libs)"
readelf -d "$MVA" | awk '/NEEDED/ {print "  NEEDED", $NF}'
for cmd in "--version" "token"; do
  libs=$(LD_DEBUG=libs "$MVA" $cmd 2>&1 >/dev/null | grep -c 'calling init:' || true)
  xml=$(LD_DEBUG=libs "$MVA" $cmd 2>&1 >/dev/null | grep -cE 'calling init: .*(libxml2|libicu|liblzma|libstdc)' || true)
  echo "  mva $cmd: $libs libraries initialised, $xml of them libxml2/ICU/liblzma/libstdc++"
done

echo "== mva token (valid stored token) and mva --version vs /bin/true, $RUNS runs each"
json=$(mktemp)
hyperfine -N --warmup 50 --runs "$RUNS" --export-json "$json" "$MVA token" "$MVA --version" /bin/true
# The mean (hyperfine's own ratio) moves with a few slow runs on a shared machine; the median is printed beside it.
python3 - "$json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
anchor = results[-1]
print("| command | mean | median | mean / /bin/true | median / /bin/true |")
print("|---|---:|---:|---:|---:|")
for r in results:
    print(f"| `{r['command']}` | {r['mean'] * 1e3:.2f} ms | {r['median'] * 1e3:.2f} ms"
          f" | {r['mean'] / anchor['mean']:.2f} | {r['median'] / anchor['median']:.2f} |")
PY
rm -f "$json"
