"""The dashboard's routes: the page, the panels fragment it refreshes itself with, the summary JSON, and the
report files (Evidently HTML, learning-curve PNG) from HOME/reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
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


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, sources: SourcesDep) -> HTMLResponse:
    """The dashboard page: champions, gate history, live quality, traffic, latency, drift, learning curves."""
    return templates.TemplateResponse(request, "dashboard.html", {"summary": build_summary(sources)})


@router.get("/panels", response_class=HTMLResponse)
def panels(request: Request, sources: SourcesDep) -> HTMLResponse:
    """The page's panels alone, which the page fetches every `refresh_seconds` to refresh itself."""
    return templates.TemplateResponse(request, "panels.html", {"summary": build_summary(sources)})


@router.get("/api/summary")
def summary(sources: SourcesDep) -> dict[str, Any]:
    """Everything the dashboard shows, as JSON."""
    return build_summary(sources)


@router.get("/reports/{relative:path}")
def report(relative: str, sources: SourcesDep) -> FileResponse:
    """A report file under HOME/reports (e.g. `monitoring/<kind>/latest.html`); 404 outside it."""
    path = report_file(sources.settings, relative)
    if path is None:
        raise HTTPException(404, detail=f"no report {relative!r} under HOME/reports")
    return FileResponse(path)
