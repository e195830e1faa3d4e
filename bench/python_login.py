#!/usr/bin/env python3
"""The baseline for the login CPU benchmark: the steps of the Tax Administration's sample (log_in_idporten.py),
done with `requests`, but without the sample's known faults (PKCE without padding, secrets from `secrets`, nonce
random, signature checked with PyJWT). Usage:

    python3 bench/python_login.py ISSUER CLIENT_ID REDIRECT_URI BROWSER_COMMAND...

It runs discovery, builds the authorization URL, listens on the redirect URI, starts the browser command with the
URL as last argument, takes the callback, exchanges the code and validates the ID token. Prints "ok <sub>".
With CLIENT_SECRET in the environment the code exchange authenticates with client_secret_basic (a `web` client)."""
import base64, hashlib, http.server, json, os, secrets, subprocess, sys, threading, urllib.parse

import jwt  # PyJWT
import requests

issuer, client_id, redirect_uri, *browser = sys.argv[1:]
session = requests.Session()
meta = session.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=10).json()
assert meta["issuer"] == issuer, "issuer mismatch"
verifier = secrets.token_urlsafe(48)
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
params = {
    "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
    "scope": "openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending",
    "state": state, "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256",
    "acr_values": "idporten-loa-substantial", "ui_locales": "nb",
}
url = meta["authorization_endpoint"] + "?" + urllib.parse.urlencode(params)
result = {}
target = urllib.parse.urlparse(redirect_uri)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        parsed = urllib.parse.urlparse(self.path)
        if parsed.path != target.path:
            self.send_response(404); self.end_headers(); return
        q = dict(urllib.parse.parse_qsl(parsed.query))
        if q.get("state") != state:
            self.send_response(400); self.end_headers(); return
        result.update(q)
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.end_headers()
        self.wfile.write(b"<p>Logged in. You can close this tab.</p>")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", target.port), Handler)
thread = threading.Thread(target=server.handle_request)
thread.start()
proc = subprocess.Popen(browser + [url])
thread.join(timeout=60)
server.server_close()
proc.wait(timeout=30)
assert "code" in result, "no code"
if "iss" in result:
    assert result["iss"] == issuer
tokens = session.post(meta["token_endpoint"], data={
    "grant_type": "authorization_code", "code": result["code"], "redirect_uri": redirect_uri,
    "code_verifier": verifier, "client_id": client_id,
}, auth=(client_id, os.environ["CLIENT_SECRET"]) if os.environ.get("CLIENT_SECRET") else None, timeout=10).json()
jwks = session.get(meta["jwks_uri"], timeout=10).json()
header = jwt.get_unverified_header(tokens["id_token"])
key = next(k for k in jwks["keys"] if k.get("kid") == header.get("kid"))
claims = jwt.decode(tokens["id_token"], jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key)),
                    algorithms=["RS256"], audience=client_id, issuer=issuer)
assert claims["nonce"] == nonce
print("ok", claims["sub"])
