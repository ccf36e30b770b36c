"""Small steps around the Schemathesis run, with the standard library only:

    setup.py wait URL                      until /healthz answers (60 s at most)
    setup.py token URL USER PASSWORD       sign in and print an API token holding every permission
    setup.py still-authorized URL TOKEN    fail unless the token is still accepted
"""

import json
import sys
import time
import urllib.error
import urllib.request

PERMISSIONS = [
    "events.read", "alerts.read", "alerts.triage", "rules.read", "rules.write", "reports.read",
    "reports.create", "users.manage", "roles.manage", "tokens.manage", "ingest.write",
    "audit.read", "settings.manage",
]


def call(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as res:
        text = res.read()
        return json.loads(text) if text else None


def wait(base):
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as res:
                if res.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"error: vigil did not answer on {base} within 60 s")
        time.sleep(0.2)


def token(base, username, password):
    login = call("POST", f"{base}/api/v1/auth/login", {"username": username, "password": password})
    created = call(
        "POST",
        f"{base}/api/v1/accounts/tokens",
        {"name": "schemathesis", "permissions": PERMISSIONS},
        token=login["access_token"],
    )
    print(json.dumps({"id": created["token"]["id"], "token": created["secret"]}))


def still_authorized(base, token):
    try:
        call("GET", f"{base}/api/v1/accounts/me", token=token)
    except urllib.error.HTTPError as e:
        sys.exit(f"error: the run lost its API token (GET /api/v1/accounts/me answered {e.code}), "
                 "so it tested little beyond 401 answers")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"wait": wait, "token": token, "still-authorized": still_authorized}[command](*args)
