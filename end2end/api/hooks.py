"""Schemathesis hooks for Vigil's API run.

The run authenticates with one API token (see run.sh). Of everything the API can do, only
revoking that very token ends the run's credential: an API token is not tied to a session, so
logging out, disabling or demoting its creator and resetting passwords leave it working. So
requests that would revoke it are dropped; every other token id, and every other operation,
is exercised.
"""

import os
import re

import schemathesis

TOKEN_ID = os.environ["VIGIL_API_TOKEN_ID"]
# axum reads a path id as an i32, which also accepts `+7` and `007`.
OWN_ID = re.compile(r"\+?0*" + re.escape(TOKEN_ID))


@schemathesis.hook
def filter_case(ctx, case):
    if case.method.upper() == "DELETE" and case.path.endswith("/accounts/tokens/{id}"):
        value = (case.path_parameters or {}).get("id")
        return OWN_ID.fullmatch(str(value)) is None
    return True
