"""Our column types ⇄ SharePoint columnDefinitions, and canonical values ⇄ Graph field values.

https://learn.microsoft.com/graph/api/resources/columndefinition
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping

from config.schema import ColumnSpec, ColumnType, Owner

# Japan has kept UTC+9 without daylight saving since 1951, so a fixed offset is exact.
JST = timezone(timedelta(hours=9), "JST")


def column_definition(column: ColumnSpec) -> dict[str, Any]:
    """The JSON to create `column` in a list."""
    facet: dict[str, Any]
    match column.type:
        case ColumnType.TEXT | ColumnType.URL:
            # Graph cannot write hyperlink columns reliably, so URLs are plain text (<= 255).
            facet = {"text": {"allowMultipleLines": False, "maxLength": 255}}
        case ColumnType.NOTE:
            facet = {"text": {"allowMultipleLines": True, "textType": "plain"}}
        case ColumnType.NUMBER:
            facet = {"number": {}}
        case ColumnType.INTEGER:
            facet = {"number": {"decimalPlaces": "none"}}
        case ColumnType.BOOLEAN:
            facet = {"boolean": {}}
        case ColumnType.DATE:
            facet = {"dateTime": {"format": "dateOnly"}}
        case ColumnType.DATETIME:
            facet = {"dateTime": {"format": "dateTime"}}
        case ColumnType.CHOICE:
            facet = {"choice": {"choices": list(column.choices), "allowTextEntry": False,
                                "displayAs": "dropDownMenu"}}
    return {
        "name": column.name,
        "displayName": column.display,
        "required": column.required,
        "indexed": column.indexed,
        "enforceUniqueValues": column.unique,
        **facet,
    }


def column_from_graph(raw: Mapping[str, Any]) -> ColumnSpec:
    """What a list really has, for drift reports (owner is not SharePoint's concern)."""
    if "choice" in raw:
        kind, choices = ColumnType.CHOICE, tuple(raw["choice"].get("choices") or ())
    else:
        choices = ()
        if "text" in raw:
            kind = ColumnType.NOTE if (raw["text"] or {}).get("allowMultipleLines") else ColumnType.TEXT
        elif "number" in raw:
            kind = ColumnType.INTEGER if (raw["number"] or {}).get("decimalPlaces") == "none" \
                else ColumnType.NUMBER
        elif "boolean" in raw:
            kind = ColumnType.BOOLEAN
        elif "dateTime" in raw:
            kind = ColumnType.DATE if (raw["dateTime"] or {}).get("format") == "dateOnly" \
                else ColumnType.DATETIME
        else:
            kind = ColumnType.TEXT
    return ColumnSpec(name=raw["name"], display=raw.get("displayName") or raw["name"], type=kind,
                      owner=Owner.DIVISION, required=bool(raw.get("required")),
                      indexed=bool(raw.get("indexed")), unique=bool(raw.get("enforceUniqueValues")),
                      choices=choices)


def to_graph(column: ColumnSpec, value: Any) -> Any:
    """A canonical value as Graph should receive it."""
    if value is None:
        return None
    if column.type is ColumnType.DATE:
        # Midnight JST with an explicit offset: SharePoint stores the instant in UTC and shows
        # the same calendar day to staff in Japan. A bare date would be read as UTC midnight.
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=JST).isoformat()
    return value


def from_graph(column: ColumnSpec, value: Any) -> Any:
    """A Graph field value as the canonical value every store returns."""
    if value is None:
        return None
    match column.type:
        case ColumnType.DATE:
            # "2025-03-31T15:00:00Z" is 1 April in Japan: the first day of the fiscal year.
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return moment.astimezone(JST).date().isoformat()
        case ColumnType.DATETIME:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        case ColumnType.INTEGER:
            return int(value)
        case ColumnType.URL if isinstance(value, Mapping):
            return value.get("Url")
    return value
