"""Datasette plugin: who may see what, and clear answers to bad requests.

The logic lives in `evidence/webapp.py` and `evidence/signin.py`; this file plugs it in:
the login gate and security headers around every answer, the throttled reviewers' sign-in
at `/-/login`, and HTTP 400 instead of 500 when a GET's parameters or format are malformed.
"""

from __future__ import annotations

import logging

from datasette import hookimpl
from datasette.handle_exception import handle_exception as datasette_error_page
from datasette.utils.asgi import BadRequest

from evidence.signin import login
from evidence.webapp import bad_parameter, guard

log = logging.getLogger("evidence.serve")


@hookimpl
def asgi_wrapper(datasette):
    return lambda app: guard(datasette, app)


@hookimpl
def register_routes():
    return [(r"^/-/login$", login)]


@hookimpl
def handle_exception(datasette, request, exception):
    if request.method in ("GET", "HEAD"):
        reason = bad_parameter(exception)
        if reason:
            log.warning("400 for %s: %s", request.full_path, reason)  # kept in the log in case it is a fault
            return datasette_error_page(datasette, request, BadRequest(f"Bad request: {reason}"))
    return None
