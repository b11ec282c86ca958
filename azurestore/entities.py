"""How a JSON value and an arbitrary key fit the limits of an Azure Table entity.

Limits (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model):
- PartitionKey and RowKey are strings of up to 1 KiB and may not contain /, \\, #, ? or control
  characters (Azurite, the emulator, takes 512 characters at most: keys here stay within that);
- a string property holds at most 64 KiB of UTF-16 (32,768 code units);
- an entity holds at most 1 MiB and 255 properties, and a transaction at most 4 MiB. Azure counts
  a string as two bytes a UTF-16 unit; the SDK sends JSON with every non-ASCII character escaped
  (six bytes for one of Japanese, twelve for an emoji), and the emulator counts those bytes. A
  value is held to the larger of the two.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

# Kept as they are in a key; every other character becomes ~ and its UTF-8 bytes in hex, so any
# key (a person's id, a draft's name) is a valid and distinct table key.
_KEY_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:@")
_MAX_KEY = 512
# Characters of JSON a property holds: at most two UTF-16 units a character (outside the BMP),
# so 16,000 characters stay under the 32,768-unit limit whatever they are.
_CHUNK = 16_000
# Chunks an entity may carry beside its other properties (255 in all), and the bytes they may
# take on the wire (1 MiB an entity, with room for the rest of it).
MAX_CHUNKS = 200
MAX_VALUE_BYTES = 900_000
_PART = "json{}"


class TooLarge(ValueError):
    """A value or key beyond what one table entity can hold."""


def escape_key(key: str) -> str:
    """`key` as valid characters of a PartitionKey or RowKey, one-to-one."""
    return "".join(c if c in _KEY_SAFE else "".join(f"~{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
                   for c in key)


def table_key(*parts: str) -> str:
    """A PartitionKey or RowKey of `parts` (each escaped) joined by |, or TooLarge."""
    out = "|".join(map(escape_key, parts))
    if len(out) > _MAX_KEY:
        raise TooLarge(f"key too long for a table entity ({len(out)} characters escaped)")
    return out


def wire_size(entity: Mapping[str, Any]) -> int:
    """Bytes `entity` takes in a request, as the SDK writes it (non-ASCII escaped)."""
    return len(json.dumps(entity, default=str))


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
    return raw.decode("utf-8", "surrogatepass")


def json_properties(value: Any) -> dict[str, str]:
    """`value` as JSON in as many string properties as it needs (json0, json1, …)."""
    text = json.dumps(value, ensure_ascii=False)
    parts = [text[i:i + _CHUNK] for i in range(0, len(text), _CHUNK)] or [""]
    size = sum(max(len(json.dumps(p)), len(p.encode("utf-16-le", "surrogatepass"))) for p in parts)
    if len(parts) > MAX_CHUNKS or size > MAX_VALUE_BYTES:
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


# A transaction carries at most 100 entities and 4 MiB; parts are cut with room to spare.
TRANSACTION_ENTITIES = 100
TRANSACTION_BYTES = 3_500_000


def transactions(ops: Sequence[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    """`ops` (("create" | "upsert" | "delete", entity[, options])) cut, in order, into parts that
    each fit one entity group transaction."""
    parts: list[list[tuple[Any, ...]]] = []
    size = 0
    for op in ops:
        bytes_ = wire_size(op[1]) + 200  # the entity and its part of the multipart request
        if not parts or len(parts[-1]) == TRANSACTION_ENTITIES or size + bytes_ > TRANSACTION_BYTES:
            parts.append([])
            size = 0
        parts[-1].append(op)
        size += bytes_
    return parts
