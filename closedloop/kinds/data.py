"""What a kind's data hooks hand to generic code (see the data section of `contract.py`): the options of
its offline evaluation protocol, and the items its base data knows.

`closedloop train KIND --model NAME` runs a kind's evaluation protocol; the protocol's own choices (a split,
say) are declared here as data, so the CLI can check and show them without knowing the kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class ProtocolError(ValueError):
    """An evaluation option a kind's protocol does not offer, or a value it does not accept."""


@dataclass(frozen=True)
class ProtocolOption:
    """One choice a kind's evaluation protocol offers: `closedloop train KIND --<name> <value>`."""

    name: str
    choices: tuple[str, ...]
    default: str
    help: str = ""

    def __post_init__(self) -> None:
        if self.default not in self.choices:
            raise ValueError(f"option --{self.name}: default {self.default!r} is not one of {self.choices}")

    def usage(self) -> str:
        """How the option is written, e.g. `--split time|random (default time)`."""
        return f"--{self.name} {'|'.join(self.choices)} (default {self.default})"


def protocol_choices(offered: Sequence[ProtocolOption], given: Mapping[str, str]) -> dict[str, str]:
    """Every offered option's value: what was `given`, else its default; `ProtocolError` for an option
    that is not offered or a value that is not a choice."""
    by_name = {option.name: option for option in offered}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        known = ", ".join(o.usage() for o in offered) or "none"
        raise ProtocolError(f"no option --{unknown[0]} here; the options are: {known}")
    chosen = {}
    for option in offered:
        value = given.get(option.name, option.default)
        if value not in option.choices:
            raise ProtocolError(f"--{option.name} {value!r}: choose one of {', '.join(option.choices)}")
        chosen[option.name] = value
    return chosen


@dataclass(frozen=True)
class KnownItems:
    """The item ids a kind's base data knows (imported interactions are checked against them), and what a
    message calls them (`unknown item 99: not in <catalogue>`)."""

    items: frozenset[int]
    catalogue: str
