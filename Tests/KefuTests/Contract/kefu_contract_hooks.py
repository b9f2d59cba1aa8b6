"""schemathesis hooks for kefu's contract tests (ContractTests.swift): a check that a request
kefu refused (4xx) changed nothing it stores.

Before and after every call it takes a snapshot of what the API shows — accounts, tasks, rules,
tokens, and the seeded accounts' media and audience counts — over the API itself, with the
admin token. schemathesis runs one call at a time (--workers 1), so the snapshot before a call
is the one taken after the previous call. A GET or HEAD changes nothing (the API documents them
as reads), so no snapshot is taken after one: the last one still holds, and the run takes about
half the snapshots it would otherwise.
"""
import json
import os
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["KEFU_CONTRACT_BASE"]
TOKEN = os.environ["KEFU_CONTRACT_TOKEN"]
SEEDED = os.environ.get("KEFU_CONTRACT_ACCOUNTS", "").split(",")


def _get(path):
    request = urllib.request.Request(BASE + path, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def snapshot():
    tokens = _get("/api/v1/tokens")["tokens"]
    for token in tokens:
        token.pop("active", None)  # expiry changes it with time alone
    state = {
        "accounts": _get("/api/v1/accounts"),
        "tasks": _get("/api/v1/tasks?limit=1000"),
        "rules": _get("/api/v1/rules"),
        "tokens": tokens,
    }
    for appid in SEEDED:
        try:
            state["media " + appid] = _get("/api/v1/accounts/%s/media?limit=500" % appid)
            state["audience " + appid] = _get("/api/v1/accounts/%s/audience?limit=1" % appid)["count"]
        except urllib.error.HTTPError as error:  # deleted by a call that was allowed to
            state["media " + appid] = state["audience " + appid] = error.code
    return json.dumps(state, sort_keys=True)


_last = [snapshot()]


@schemathesis.check
def rejected_request_changes_nothing(ctx, response, case):
    if case.method.upper() in ("GET", "HEAD"):
        return None
    before, after = _last[0], snapshot()
    _last[0] = after
    if not 400 <= response.status_code < 500:
        return None
    if before != after:
        raise AssertionError(
            "%s %s was answered %d, yet what the API shows changed" % (case.method, case.path, response.status_code))
    return None
