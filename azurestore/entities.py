"""How a JSON value and an arbitrary key fit the limits of an Azure Table entity.

Limits (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model):
- PartitionKey and RowKey are strings of up to 1 KiB and may not contain /, \\, #, ? or control
  characters;
- a string property holds at most 64 KiB of UTF-16 (32,768 code units);
- an entity holds at most 1 MiB and 255 properties.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

# Kept as they are in a key; every other character becomes ~ and its UTF-8 bytes in hex, so any
# key (a person's id, a draft's name) is a valid and distinct table key.
_KEY_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:@")
_MAX_KEY = 1024
# Characters of JSON a property holds: at most two UTF-16 units a character (outside the BMP),
# so 16,000 characters stay under the 32,768-unit limit whatever they are.
_CHUNK = 16_000
# Chunks an entity may carry beside its other properties (1 MiB in all, with room to spare).
MAX_CHUNKS = 28
_PART = "json{}"


class TooLarge(ValueError):
    """A value or key beyond what one table entity can hold."""


def escape_key(key: str) -> str:
    """`key` as a valid PartitionKey or RowKey, one-to-one."""
    out = "".join(c if c in _KEY_SAFE else "".join(f"~{b:02X}" for b in c.encode("utf-8")) for c in key)
    if len(out.encode("utf-8")) > _MAX_KEY:
        raise TooLarge(f"key too long for a table entity ({len(key)} characters)")
    return out


def unescape_key(key: str) -> str:
    """The key `escape_key` was given."""
    raw = bytearray()
    i = 0
    while i < len(key):
        if key[i] == "~":
            raw += bytes.fromhex(key[i + 1:i + 3])
            i += 3
        else:
            raw += key[i].encode("ascii")
            i += 1
    return raw.decode("utf-8")


def json_properties(value: Any) -> dict[str, str]:
    """`value` as JSON in as many string properties as it needs (json0, json1, …)."""
    text = json.dumps(value, ensure_ascii=False)
    parts = [text[i:i + _CHUNK] for i in range(0, len(text), _CHUNK)] or [""]
    if len(parts) > MAX_CHUNKS:
        raise TooLarge(f"value too large for a table entity ({len(text):,} characters of JSON)")
    return {_PART.format(i): part for i, part in enumerate(parts)}


def json_from_entity(entity: Mapping[str, Any]) -> Any:
    """The value `json_properties` wrote into `entity`."""
    parts = []
    i = 0
    while _PART.format(i) in entity:
        parts.append(entity[_PART.format(i)])
        i += 1
    return json.loads("".join(parts))
