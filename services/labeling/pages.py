"""Server-rendered pages: one Jinja2 environment with autoescape on (message bodies, usernames and titles
come from outside and are never marked safe), and the security headers every labeling page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a missing field is a bug to see in tests, not an empty cell
)
templates = Jinja2Templates(env=environment)

# Defence in depth behind escaping: no inline script or style, nothing from another origin, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages show labels and names: not for shared caches or the back button
}


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    """Template `name` with `context` (plus `login`: None unless the route put one in), as a page."""
    context = {"login": getattr(request.state, "login", None), "page_error": None, **context}
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response
