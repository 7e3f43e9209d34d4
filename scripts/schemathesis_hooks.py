"""Schemathesis hooks for this service (loaded with SCHEMATHESIS_HOOKS=schemathesis_hooks, PYTHONPATH=scripts).

The file imports take NDJSON and XLSX besides CSV, and the data-platform feeds (`POST /api/v1/feeds/{kind}`)
NDJSON besides CSV; Schemathesis has no serializer for those media types, so the generated body (a string, per
the schema) is sent as its UTF-8 bytes. The service must answer such garbage with a documented status (202 and
a job that ends rejected, 422 for a feed batch with malformed lines, or another 4xx), never a 5xx.

The check `forbidden_success` holds the service to the permissions its OpenAPI document states: every bearer
security requirement lists the permission codes it needs as scopes (docs/api-conventions.md, "Permissions"; one
requirement object's scopes are all needed, several objects are alternatives). A 2xx answer to an operation none
of whose requirements the caller's permissions satisfy is a failure. scripts/schemathesis.sh passes the caller's
role and permissions (from `GET /api/v1/auth/me` with the run's token) in ST_ROLE and ST_PERMISSIONS (comma-separated);
without ST_PERMISSIONS the check does nothing.
"""

import json
import os

import schemathesis


def _raw(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    return _raw(value)


@schemathesis.serializer("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def xlsx(ctx, value):
    return _raw(value)


_PERMISSIONS = os.environ.get("ST_PERMISSIONS")
_GRANTED = frozenset(p for p in (_PERMISSIONS or "").split(",") if p)
_ROLE = os.environ.get("ST_ROLE", "?")


def _requirements(case):
    """The operation's security requirements (its own, else the document's), as a list of {scheme: scopes}."""
    raw = case.operation.definition.raw
    if "security" in raw:
        return raw["security"] or []
    return case.operation.schema.raw_schema.get("security") or []


@schemathesis.check
def forbidden_success(ctx, response, case):
    """A 2xx answer needs a caller whose permissions satisfy one of the operation's bearer requirements."""
    if _PERMISSIONS is None or not 200 <= response.status_code < 300:
        return None
    requirements = _requirements(case)
    if not requirements or any(not r for r in requirements):
        return None  # public, or a token is optional
    if any(set(r.get("bearer", [])) <= _GRANTED for r in requirements if "bearer" in r):
        return None
    needed = " or ".join("[" + ", ".join(r.get("bearer", [])) + "]" for r in requirements)
    raise AssertionError(
        f"{case.operation.label} answered {response.status_code} to role {_ROLE}, which lacks the permissions "
        f"it requires: {needed}; the role has [{', '.join(sorted(_GRANTED))}]"
    )
