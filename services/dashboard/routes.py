"""The dashboard's routes: the page, the panels fragment it refreshes itself with, the summary JSON, and the
report files (Evidently HTML, learning-curve PNG) from HOME/reports."""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from services.dashboard.deps import SourcesDep
from services.dashboard.reports import report_file
from services.dashboard.summary import build_summary

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # everything: model names, reasons and report fields come from outside
)  # a field missing from a report file renders empty (or "—"), never as an error page
templates = Jinja2Templates(env=environment)
router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)

# No inline script (the page's data travels in `application/json` blocks, which no browser executes), no
# inline style, nothing from another origin (uPlot is vendored under /dashboard/static), and no framing.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Report files are written by Evidently and the learning-curve flow, with scripts of their own: they may not
# be framed either, but their own policy is theirs.
REPORT_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, sources: SourcesDep) -> HTMLResponse:
    """The dashboard page: champions, gate history, live quality, traffic, latency, drift, learning curves."""
    context = {"summary": build_summary(sources)}
    return templates.TemplateResponse(request, "dashboard.html", context, headers=PAGE_HEADERS)


@router.get("/panels", response_class=HTMLResponse)
def panels(request: Request, sources: SourcesDep) -> HTMLResponse:
    """The page's panels alone, which the page fetches every `refresh_seconds` to refresh itself."""
    context = {"summary": build_summary(sources)}
    return templates.TemplateResponse(request, "panels.html", context, headers=PAGE_HEADERS)


@router.get("/api/summary")
def summary(sources: SourcesDep) -> JSONResponse:
    """Everything the dashboard shows, as JSON."""
    return JSONResponse(jsonable_encoder(build_summary(sources)), headers=PAGE_HEADERS)


@router.get("/reports/{relative:path}")
def report(relative: str, sources: SourcesDep) -> FileResponse:
    """A report file under HOME/reports (e.g. `monitoring/<kind>/latest.html`); 404 outside it."""
    path = report_file(sources.settings, relative)
    if path is None:
        raise HTTPException(404, detail=f"no report {relative!r} under HOME/reports")
    return FileResponse(path, headers=REPORT_HEADERS)
