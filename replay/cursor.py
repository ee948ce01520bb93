"""Where a replay stopped: the pass through the stream and the items of it already sent, kept in a small JSON
file so that a second `make demo` resumes where the first stopped instead of replaying from message 1.

Written after every request by replacing the file whole, so a crash leaves the old position or the new one;
at worst one request is sent again, which the API's idempotent feedback absorbs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class ReplayCursor:
    """`passes` complete passes, then `position` items of the current one, over a stream of `stream` items."""

    path: Path
    stream: int = 0
    passes: int = 0
    position: int = 0

    @classmethod
    def load(cls, path: Path, *, stream: int) -> ReplayCursor:
        """The cursor kept in `path`; from the start when there is none, it is unreadable, or it was kept for
        a stream of another length (another corpus or split: its positions mean nothing here)."""
        try:
            found = json.loads(path.read_text())
            cursor = cls(
                path,
                stream=int(found["stream"]),
                passes=int(found["passes"]),
                position=int(found["position"]),
            )
        except FileNotFoundError:
            return cls(path, stream=stream)
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("replay cursor %s unreadable (%s); starting from the beginning", path, error)
            return cls(path, stream=stream)
        if cursor.stream != stream or not 0 <= cursor.position <= stream or cursor.passes < 0:
            log.warning("replay cursor %s is for another stream; starting from the beginning", path)
            return cls(path, stream=stream)
        return cursor

    def advance(self) -> None:
        """One more item sent."""
        self.position += 1
        self.save()

    def finish_pass(self) -> None:
        """The stream's end: the next item is the first of the next pass."""
        self.passes += 1
        self.position = 0
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        fields = {k: v for k, v in asdict(self).items() if k != "path"}
        partial.write_text(json.dumps(fields))
        partial.replace(self.path)
