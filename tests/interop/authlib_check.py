#!/usr/bin/env python3
"""Third-party proof with Python's Authlib (+ requests): the same checks as openid-client-check.mjs.

Usage: authlib_check.py ISSUER [--profile sim|oidc-provider] [--client ID] [--client-secret SECRET]
         [--redirect-uri URI] [--post-logout-uri URI] [--person PID] [--secret-basic ID:SECRET] [--secret-post ID:SECRET]
         [--private-key-jwt ID:PRIVATE_JWK_FILE] [--only NAME,NAME...]
Profile sim (default) logs in headlessly (sim_pid; needs `[sim] headless_login = true`); profile oidc-provider
posts oidc-provider's dev login form. --client-secret: the main client authenticates with client_secret_basic
(ID-porten gives refresh tokens only to web clients that authenticate); the sim's default client
mva-sim-refresh-client uses its published test secret. Prints `ok NAME`, `skip NAME: why` or `FAIL NAME: why`; exit 1 on failure.
Install: python3 -m venv tests/interop/.venv && tests/interop/.venv/bin/pip install -r tests/interop/requirements.txt
"""
import argparse
import json
import re
import secrets
import sys
import warnings
from urllib.parse import parse_qs, urljoin, urlsplit, urlencode, urlunsplit

import requests

from authlib.deprecate import AuthlibDeprecationWarning  # noqa: E402

# authlib.jose announces its move to joserfc on import; it still works until Authlib 2.
warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, RSAKey, jwt  # noqa: E402
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign  # noqa: E402
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402

SCOPE = "openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending"
SHARED_TEST_CLIENT = "23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("issuer")
    p.add_argument("--profile", choices=["sim", "oidc-provider"], default="sim")
    p.add_argument("--client")
    p.add_argument("--client-secret")
    p.add_argument("--redirect-uri", default="http://localhost:12345/token")
    p.add_argument("--post-logout-uri")
    p.add_argument("--person", default="01818510078")
    p.add_argument("--secret-basic", action="append", default=[])
    p.add_argument("--secret-post", action="append", default=[])
    p.add_argument("--private-key-jwt", action="append", default=[])
    p.add_argument("--only", help="run just these checks (comma separated)")
    a = p.parse_args()
    a.only = a.only.split(",") if a.only else None
    sim = a.profile == "sim"
    if sim and not a.client:
        a.client = "mva-sim-refresh-client"
        a.client_secret = a.client_secret or "mva-sim-refresh-client-secret"
    a.client = a.client or SHARED_TEST_CLIENT
    a.confidential = [("client_secret_basic", v) for v in a.secret_basic]
    a.confidential += [("client_secret_post", v) for v in a.secret_post]
    a.confidential += [("private_key_jwt", v) for v in a.private_key_jwt]
    if not sim:
        a.post_logout_uri = a.post_logout_uri or "http://localhost:12345/logout"
        if not a.confidential:
            a.confidential = [
                ("client_secret_basic", "mva-secret-basic:mva-secret-basic-secret-for-tests-only"),
                ("client_secret_post", "mva-secret-post:mva-secret-post-secret-for-tests-only"),
            ]
    for method, value in a.confidential:
        if ":" not in value[1:]:
            p.error(f"--{method} needs ID:VALUE")
    return a


OPTS = parse_args()
SIM = OPTS.profile == "sim"
FAILURES = 0


class CheckFailed(Exception):
    pass


def check(name, fn):
    global FAILURES
    if OPTS.only and name not in OPTS.only:
        return
    try:
        fn()
        print(f"ok {name}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported by name
        FAILURES += 1
        why = " ".join(f"{type(e).__name__}: {e}".split())
        print(f"FAIL {name}: {why}", flush=True)


def expect(cond, message):
    if not cond:
        raise CheckFailed(message)


def refused(fn, code):
    """Expects an OAuth error `code` from the token endpoint (authlib raises OAuthError)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        got = getattr(e, "error", None)
        expect(got == code, f"expected {code}, got {got or type(e).__name__}: {e}")
        return
    raise CheckFailed(f"expected {code}, but the request succeeded")


def with_params(url, **extra):
    parts = urlsplit(url)
    q = parse_qs(parts.query, keep_blank_values=True)
    for k, v in extra.items():
        q[k] = [v]
    return urlunsplit(parts._replace(query=urlencode({k: v[0] for k, v in q.items()})))


def follow(browser, url, stop, method="GET", data=None):
    """Follows redirects until one points at `stop` -> ("redirect", url) or a page answers -> ("page", response)."""
    resp = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
    for _ in range(10):
        loc = resp.headers.get("location")
        if not (300 <= resp.status_code < 400 and loc):
            return "page", resp
        nxt = urljoin(resp.url, loc)
        if stop and nxt.startswith(stop):
            return "redirect", nxt
        resp = browser.get(nxt, allow_redirects=False, timeout=10)
    raise CheckFailed(f"more than 10 redirects from {url}")


def login(browser, auth_url, stop):
    if SIM:
        return follow(browser, with_params(auth_url, sim_pid=OPTS.person, sim_acr="idporten-loa-substantial"), stop)
    kind, out = follow(browser, auth_url, stop)
    if kind == "redirect":
        return kind, out
    m = re.search(r'<form[^>]*action="([^"]+)"[^>]*>\s*<input type="hidden" name="prompt" value="login"', out.text)
    if not m:
        return kind, out
    action = urljoin(out.url, m.group(1).replace("&amp;", "&"))
    return follow(browser, action, stop, "POST", {"prompt": "login", "login": OPTS.person, "password": "test"})


META = requests.get(OPTS.issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=10).json()
JWKS = JsonWebKey.import_key_set(requests.get(META["jwks_uri"], timeout=10).json())


class IdportenPrivateKeyJWT(PrivateKeyJWT):
    """Authlib's private_key_jwt with ID-porten's rules: header kid, exp at most 120 s after iat (Authlib's default
    is 3600 s, which ID-porten refuses)."""

    def sign(self, auth, token_endpoint):
        key = auth.client_secret
        return private_key_jwt_sign(RSAKey.import_key(key), client_id=auth.client_id, token_endpoint=token_endpoint,
                                    header={"kid": key["kid"]}, alg="RS256", expires_in=60)


def session(client_id=None, method=None, secret=None, key=None):
    if client_id is None and method is None and OPTS.client_secret:
        method, secret = "client_secret_basic", OPTS.client_secret
    method = method or "none"
    s = OAuth2Session(client_id or OPTS.client, secret, token_endpoint_auth_method=method,
                      redirect_uri=OPTS.redirect_uri, scope=SCOPE, code_challenge_method="S256")
    if method == "private_key_jwt":
        s.register_client_auth_method(IdportenPrivateKeyJWT(META["token_endpoint"]))
        s.client_secret = key  # authlib signs the assertion with the client_secret slot (a private JWK)
    return s


def authorize(sess, **extra):
    verifier = secrets.token_urlsafe(48)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url, _ = sess.create_authorization_url(META["authorization_endpoint"], state=state, code_verifier=verifier,
                                           nonce=nonce, acr_values="idporten-loa-substantial", ui_locales="nb")
    params = {k: v for k, v in extra.items() if v is not None}
    url = with_params(url, **params)
    for k in [k for k, v in extra.items() if v is None]:  # drop parameters set to None
        parts = urlsplit(url)
        q = [(a, b) for a, b in parse_qs(parts.query).items() if a != k]
        url = urlunsplit(parts._replace(query=urlencode({a: b[0] for a, b in q})))
    return url, state, nonce, verifier


def full_login(sess, browser=None):
    url, state, nonce, verifier = authorize(sess)
    kind, back = login(browser or requests.Session(), url, OPTS.redirect_uri)
    expect(kind == "redirect", f"login stopped on a page ({getattr(back, 'status_code', '?')})")
    q = parse_qs(urlsplit(back).query)
    expect("error" not in q, f"login refused: {q.get('error')} {q.get('error_description')}")
    expect(q.get("state") == [state], "state did not come back")
    if META.get("authorization_response_iss_parameter_supported"):
        expect(q.get("iss") == [META["issuer"]], "iss missing or wrong in the authorization response (RFC 9207)")
    token = sess.fetch_token(META["token_endpoint"], authorization_response=back, code_verifier=verifier)
    claims = jwt.decode(token["id_token"], JWKS, claims_cls=CodeIDToken,
                        claims_options={"iss": {"essential": True, "value": META["issuer"]}},
                        claims_params={"nonce": nonce, "client_id": sess.client_id})
    claims.validate(leeway=5)
    expect(claims["pid"] == OPTS.person, f"pid {claims.get('pid')}")
    return token, claims, back, verifier


def must_refuse(url, page=False, error=None, redirect_uri=None):
    kind, out = login(requests.Session(), url, redirect_uri or OPTS.redirect_uri)
    if kind == "page":
        expect(out.status_code >= 400, f"the provider answered {out.status_code} with a page")
        return
    q = parse_qs(urlsplit(out).query)
    expect(not page, f"expected an error page, got a redirect to {urlsplit(out).path}")
    expect("code" not in q and "error" in q, "no error in the redirect (or a code was issued)")
    if error:
        expect(q["error"] == [error], f"expected error={error}, got {q['error']}")


state = {}
check("discovery-idporten-fields", lambda: (
    expect(META["code_challenge_methods_supported"] == ["S256"], "code_challenge_methods_supported"),
    expect(META.get("authorization_response_iss_parameter_supported") is True, "iss parameter not supported"),
    expect(not META["issuer"].endswith("/"), "issuer ends with /"),
    expect(META["issuer"] == OPTS.issuer.rstrip("/"), f"issuer {META['issuer']} is not {OPTS.issuer}")))


def first_login():
    s = session()
    token, claims, _, _ = full_login(s)
    expect(token.get("refresh_token"), "no refresh token")
    expect(claims["acr"] in ("idporten-loa-substantial", "idporten-loa-high"), f"acr {claims.get('acr')}")
    expect(isinstance(claims.get("amr"), list), "amr is not a list")
    state.update(sess=s, token=token, claims=claims)


check("login-code-pkce-id-token", first_login)


def userinfo():
    r = requests.get(META["userinfo_endpoint"], headers={"Authorization": f"Bearer {state['token']['access_token']}"},
                     timeout=10)
    expect(r.status_code == 200, f"userinfo answered {r.status_code}")
    expect(r.json()["pid"] == OPTS.person and r.json()["sub"] == state["claims"]["sub"], "userinfo pid/sub")


check("userinfo", userinfo)


def refresh():
    old = state["token"]["refresh_token"]
    new = state["sess"].refresh_token(META["token_endpoint"], refresh_token=old)
    expect(new.get("refresh_token") and new["refresh_token"] != old, "the refresh token did not rotate")
    state.update(old_rt=old, new_rt=new["refresh_token"])


check("refresh-rotates", refresh)
check("spent-refresh-refused",
      lambda: refused(lambda: session().refresh_token(META["token_endpoint"], refresh_token=state["old_rt"]),
                      "invalid_grant"))
check("reuse-revokes-grant",
      lambda: refused(lambda: session().refresh_token(META["token_endpoint"], refresh_token=state["new_rt"]),
                      "invalid_grant"))


def code_single_use():
    s = session()
    _, _, back, verifier = full_login(s)
    refused(lambda: session().fetch_token(META["token_endpoint"], authorization_response=back,
                                          code_verifier=verifier), "invalid_grant")


check("code-single-use", code_single_use)


def wrong_verifier():
    s = session()
    url, _, _, _ = authorize(s)
    kind, back = login(requests.Session(), url, OPTS.redirect_uri)
    expect(kind == "redirect" and "code=" in back, "login failed")
    refused(lambda: s.fetch_token(META["token_endpoint"], authorization_response=back,
                                  code_verifier=secrets.token_urlsafe(48)), "invalid_grant")


check("wrong-verifier-refused", wrong_verifier)


def revocation():
    s = session()
    token, _, _, _ = full_login(s)
    r = s.revoke_token(META["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token")
    expect(r.status_code == 200, f"revocation answered {r.status_code}")
    refused(lambda: session().refresh_token(META["token_endpoint"], refresh_token=token["refresh_token"]),
            "invalid_grant")
    u = requests.get(META["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"},
                     timeout=10)
    expect(u.status_code == 401, f"userinfo with a revoked grant's access token answered {u.status_code}")


check("revocation", revocation)


def logout():
    browser = requests.Session()
    s = session()
    token, _, _, _ = full_login(s, browser)
    st = secrets.token_urlsafe(12)
    params = {"id_token_hint": token["id_token"], "state": st, "client_id": OPTS.client}
    if OPTS.post_logout_uri:
        params["post_logout_redirect_uri"] = OPTS.post_logout_uri
    kind, out = follow(browser, META["end_session_endpoint"] + "?" + urlencode(params), OPTS.post_logout_uri)
    if kind == "page" and not SIM:  # oidc-provider's "Do you want to sign-out?" form: press yes
        form = re.search(r'<form[^>]*id="op.logoutForm"[^>]*>(.*?)</form>', out.text, re.S)
        action = re.search(r'action="([^"]+)"', form.group(0)).group(1)
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))
        fields["logout"] = "yes"
        kind, out = follow(browser, urljoin(out.url, action), OPTS.post_logout_uri, "POST", fields)
    if OPTS.post_logout_uri:
        expect(kind == "redirect", f"logout did not redirect to {OPTS.post_logout_uri}")
        expect(parse_qs(urlsplit(out).query).get("state") == [st], "logout redirect lost state")
    else:
        expect(kind == "page" and out.status_code == 200, "no logged-out page")
    if SIM:
        url, _, _, _ = authorize(session())
        kind, again = follow(browser, url, OPTS.redirect_uri)
        expect(kind == "page" and again.status_code == 200, "after logout the login page was skipped")


check("logout", logout)


def refuse_with(**extra):
    def run():
        url, _, _, _ = authorize(session(), **extra)
        must_refuse(url)
    return run


check("no-pkce-refused", refuse_with(code_challenge=None, code_challenge_method=None))
plain = secrets.token_urlsafe(48)
check("plain-pkce-refused", refuse_with(code_challenge=plain, code_challenge_method="plain"))
check("padded-challenge-refused", refuse_with(code_challenge=create_s256_code_challenge(plain) + "="))


def wrong_redirect():
    evil = OPTS.redirect_uri.rstrip("/") + "-evil"
    url, _, _, _ = authorize(session(), redirect_uri=evil)
    must_refuse(url, page=True, redirect_uri=evil)


check("wrong-redirect-uri-error-page", wrong_redirect)


def unknown_client():
    url, _, _, _ = authorize(session(), client_id="no-such-client-9b1f")
    must_refuse(url, page=True)


check("unknown-client-error-page", unknown_client)
if SIM:
    check("missing-state-refused", refuse_with(state=None))
    check("missing-nonce-refused", refuse_with(nonce=None))

    def bad_scope():
        url, _, _, _ = authorize(session(), scope=SCOPE + " skatteetaten:not-granted")
        must_refuse(url, error="invalid_scope")
    check("unknown-scope-invalid_scope", bad_scope)
else:
    for n in ["missing-state-refused", "missing-nonce-refused", "unknown-scope-invalid_scope"]:
        if not OPTS.only or n in OPTS.only:
            print(f"skip {n}: oidc-provider does not have this ID-porten rule")

for method, value in OPTS.confidential:
    cid, _, secret = value.partition(":")
    if method == "private_key_jwt":
        with open(secret, encoding="utf-8") as f:
            key = json.load(f)
        make = lambda key=key, cid=cid: session(cid, "private_key_jwt", key=key)  # noqa: E731
        wrong = None
    else:
        make = lambda cid=cid, secret=secret, method=method: session(cid, method, secret)  # noqa: E731
        wrong = lambda cid=cid, secret=secret, method=method: session(cid, method, secret + "-wrong")  # noqa: E731
    check(f"{method}-login", lambda make=make: full_login(make()))

    def refused_login(make_session):
        s = make_session()
        url, _, _, verifier = authorize(s)
        kind, back = login(requests.Session(), url, OPTS.redirect_uri)
        expect(kind == "redirect" and "code=" in back, "login failed")
        refused(lambda: s.fetch_token(META["token_endpoint"], authorization_response=back, code_verifier=verifier),
                "invalid_client")
    if wrong:
        check(f"{method}-wrong-secret-refused", lambda wrong=wrong: refused_login(wrong))
    check(f"{method}-no-authentication-refused", lambda cid=cid: refused_login(lambda: session(cid, "none")))

print(f"{FAILURES} check(s) FAILED" if FAILURES else "all checks passed")
sys.exit(1 if FAILURES else 0)
