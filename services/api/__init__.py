"""The prediction and feedback API: `create_app(settings)` builds it; `closedloop serve` runs it."""

from services.api.main import create_app

__all__ = ["create_app"]
