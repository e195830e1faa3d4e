#!/usr/bin/env bash
# Benchmarks of the login (issue 2), on loopback against the simulator, with the same scripted browser (curl on
# the simulator's headless switch) for both clients:
#   1. `mva token` with a valid stored token vs /bin/true (hyperfine, whole process);
#   2. CPU time (user+sys, the process and its children) of one `mva login` vs bench/python_login.py, which does
#      the same steps with `requests` and PyJWT, as the Tax Administration's sample does.
# Usage: bench/login.sh [LOGINS]   (needs: cargo build --release -p mva-cli; hyperfine; a venv with requests,
# pyjwt, cryptography at $VENV, default bench/.venv)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
VENV=${VENV:-bench/.venv}
MVA=${MVA:-target/release/mva}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export MVA_HOME=$(mktemp -d)
"$MVA" sim --port "$PORT" --headless-login >/dev/null 2>&1 &
SIM=$!
trap 'kill $SIM; rm -rf "$MVA_HOME"' EXIT
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/.well-known/openid-configuration" 2>/dev/null && break; sleep 0.1; done
ISSUER=http://127.0.0.1:$PORT
CLIENT=mva-sim-refresh-client
# The simulator's web client (refresh tokens go only to clients that authenticate): `mva login`, `mva token` and the
# Python client all use its secret.
SECRET=mva-sim-refresh-client-secret
export MVA_ISSUER=$ISSUER MVA_CLIENT_ID=$CLIENT MVA_CLIENT_AUTH=client_secret_basic MVA_CLIENT_SECRET=$SECRET \
  CLIENT_SECRET=$SECRET
BROWSER="sh -c 'exec curl -fsS -o /dev/null -L \"\$0&sim_pid=01818510078\"'"

cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1; }

echo "== mva login: CPU seconds (user sys) per login, $N logins"
total=0
for _ in $(seq "$N"); do
  t=$(cpu "$MVA" login --redirect-uri http://127.0.0.1:0/callback --browser-command "$BROWSER" --timeout 20)
  total=$(python3 -c "print($total + sum(map(float, '$t'.split())))")
done
python3 -c "print(f'mva login     mean CPU {1000*$total/$N:.1f} ms')"

echo "== python_login.py (requests + PyJWT): CPU seconds per login, $N logins"
total=0
for i in $(seq "$N"); do
  p=$((20000 + i))
  t=$(cpu "$VENV/bin/python" bench/python_login.py "$ISSUER" "$CLIENT" "http://127.0.0.1:$p/callback" \
        sh -c 'exec curl -fsS -o /dev/null -L "$0&sim_pid=01818510078"')
  total=$(python3 -c "print($total + sum(map(float, '$t'.split())))")
done
python3 -c "print(f'python client mean CPU {1000*$total/$N:.1f} ms')"

echo "== mva token with a valid stored token vs /bin/true"
hyperfine -N --warmup 10 --runs 200 "$MVA token" /bin/true
