"""Schemathesis hooks for this service (loaded with SCHEMATHESIS_HOOKS=schemathesis_hooks, PYTHONPATH=scripts).

The file imports take NDJSON and XLSX besides CSV, and the data-platform feeds (`POST /api/v1/feeds/{kind}`)
NDJSON besides CSV; Schemathesis has no serializer for those media types, so the generated body (a string, per
the schema) is sent as its UTF-8 bytes. The service must answer such garbage with a documented status (202 and
a job that ends rejected, 422 for a feed batch with malformed lines, or another 4xx), never a 5xx.
"""

import json

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
