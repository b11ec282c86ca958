"""Every list write of the bot says whose it is, and writes only the columns that writer may
(config/lists.toml: `owner`): the bot its own columns and a shared status by its rules, the
division's review cards the division's. A write outside that is a bug, refused before it
reaches the list."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from config.schema import ListSpec, Owner, load_list_specs, not_writable


class NotTheirs(ValueError):
    """A write names columns its writer does not own."""


@lru_cache(maxsize=1)
def _specs() -> dict[str, ListSpec]:
    return load_list_specs()


def writes(list_name: str, fields: Iterable[str], writer: Owner) -> None:
    """Refuse a write of `fields` to `list_name` by `writer` that touches another's columns."""
    wrong = not_writable(_specs()[list_name], fields, writer)
    if wrong:
        raise NotTheirs(f"{writer} may not write {list_name}: {', '.join(wrong)}")
