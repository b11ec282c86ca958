"""The declared shape of the SharePoint lists: loaded from `lists.toml`, checked, and frozen."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

# SharePoint limits: internal names up to 32 characters; 20 indexed columns per list; a
# single line of text holds 255 characters.
MAX_INTERNAL_NAME = 32
MAX_INDEXES = 20
MAX_TEXT = 255
_INTERNAL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ColumnType(StrEnum):
    """Column types the product uses; each maps to one SharePoint column type."""

    TEXT = "text"
    NOTE = "note"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"
    URL = "url"


class Owner(StrEnum):
    """Who writes a column. Automatic writers never touch `division` columns; a `shared` column
    (a status) is written by the bot only as its rules say (it sets the first value and moves it
    along its own steps, never undoing a person's) and by the division at will."""

    SYNC = "sync"
    BOT = "bot"
    DIVISION = "division"
    SHARED = "shared"


# What each writer may write. The division writes through the lists, or through the bot's review
# cards, which act for it.
MAY_WRITE: dict[Owner, frozenset[Owner]] = {
    Owner.SYNC: frozenset({Owner.SYNC}),
    Owner.BOT: frozenset({Owner.BOT, Owner.SHARED}),
    Owner.DIVISION: frozenset({Owner.DIVISION, Owner.SHARED}),
}


def not_writable(spec: "ListSpec", fields: Iterable[str], writer: Owner) -> list[str]:
    """The columns of `fields` that `writer` may not write (an unknown column counts too)."""
    allowed = MAY_WRITE[writer]
    by_name = {c.name: c for c in spec.columns}
    return [f for f in fields if f not in by_name or by_name[f].owner not in allowed]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a list."""

    name: str
    display: str
    type: ColumnType
    owner: Owner
    required: bool = False
    indexed: bool = False
    unique: bool = False
    choices: tuple[str, ...] = ()

    def coerce(self, value: Any) -> Any:
        """Return the canonical JSON value of `value` for this column, or raise ValueError."""
        if value is None or value == "":
            # SharePoint stores an empty value of any type as null; so do we.
            return None
        match self.type:
            case ColumnType.TEXT | ColumnType.NOTE:
                if not isinstance(value, str):
                    raise ValueError(f"expected text, got {type(value).__name__}")
                if self.type is ColumnType.TEXT and len(value) > MAX_TEXT:
                    raise ValueError(f"longer than {MAX_TEXT} characters")
                return value
            case ColumnType.NUMBER:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"expected a number, got {value!r}")
                return value
            case ColumnType.INTEGER:
                if isinstance(value, float) and value.is_integer():
                    return int(value)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"expected a whole number, got {value!r}")
                return value
            case ColumnType.BOOLEAN:
                if not isinstance(value, bool):
                    raise ValueError(f"expected true or false, got {value!r}")
                return value
            case ColumnType.DATE:
                if isinstance(value, datetime):
                    raise ValueError("expected a date without a time")
                if isinstance(value, date):
                    return value.isoformat()
                if isinstance(value, str) and _ISO_DATE.fullmatch(value):
                    date.fromisoformat(value)
                    return value
                raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
            case ColumnType.DATETIME:
                if isinstance(value, str):
                    value = datetime.fromisoformat(value)
                if not isinstance(value, datetime):
                    raise ValueError(f"expected a date and time, got {value!r}")
                if value.tzinfo is None:
                    # Graph stores UTC; a naive time is ambiguous (JST or UTC?), so refuse it.
                    raise ValueError("date and time needs an explicit UTC offset")
                return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            case ColumnType.CHOICE:
                if value not in self.choices:
                    raise ValueError(f"{value!r} is not one of {', '.join(self.choices)}")
                return value
            case ColumnType.URL:
                if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                    raise ValueError(f"expected an http(s) URL, got {value!r}")
                return value
        raise AssertionError(self.type)  # pragma: no cover - every enum member is matched


@dataclass(frozen=True, slots=True)
class ListSpec:
    """One SharePoint list: its key column and its columns in display order."""

    name: str
    display: str
    description: str
    key: str
    owner: Owner
    columns: tuple[ColumnSpec, ...]

    def column(self, name: str) -> ColumnSpec:
        """The column called `name`; KeyError names the list when there is none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"list {self.name} has no column {name!r}")

    @property
    def column_names(self) -> frozenset[str]:
        """Internal names of every column."""
        return frozenset(c.name for c in self.columns)

    @property
    def indexed_columns(self) -> frozenset[str]:
        """Columns that may be filtered on (SharePoint refuses others on large lists)."""
        return frozenset(c.name for c in self.columns if c.indexed or c.unique)

    def owned_by(self, *owners: Owner) -> tuple[ColumnSpec, ...]:
        """Columns written by the given owners."""
        return tuple(c for c in self.columns if c.owner in owners)

    def coerce(self, fields: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        """Canonical values for `fields`; ValueError names the first bad column.

        On create every required column must be present; an update may send only some columns.
        """
        out: dict[str, Any] = {}
        for name, value in fields.items():
            try:
                column = self.column(name)
            except KeyError as exc:
                raise ValueError(exc.args[0]) from None
            try:
                out[name] = column.coerce(value)
            except ValueError as exc:
                raise ValueError(f"{self.name}.{name}: {exc}") from None
            if column.required and out[name] is None:
                raise ValueError(f"{self.name}.{name}: required")
        if creating:
            missing = [c.name for c in self.columns if c.required and out.get(c.name) is None]
            if missing:
                raise ValueError(f"{self.name}: required column(s) missing: {', '.join(missing)}")
        key = out.get(self.key, fields.get(self.key))
        if creating and (not isinstance(key, str) or not key.strip()):
            raise ValueError(f"{self.name}.{self.key}: the key must be non-empty text")
        return out


# ---- the TOML edge -------------------------------------------------------------------------


class _ColumnModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_INTERNAL_NAME.pattern, max_length=MAX_INTERNAL_NAME)
    display: str = Field(min_length=1, max_length=MAX_TEXT)
    type: ColumnType
    required: bool = False
    indexed: bool = False
    unique: bool = False
    choices: list[str] = Field(default_factory=list)
    owner: Owner | None = None

    @model_validator(mode="after")
    def _choices_match_type(self) -> "_ColumnModel":
        if (self.type is ColumnType.CHOICE) != bool(self.choices):
            raise ValueError(f"{self.name}: choices are required for, and only for, choice columns")
        if self.unique and not self.required:
            raise ValueError(f"{self.name}: a unique column must be required")
        return self


class _ListModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_INTERNAL_NAME.pattern, max_length=MAX_INTERNAL_NAME)
    display: str = Field(min_length=1)
    description: str = ""
    key: str
    owner: Owner
    columns: list[_ColumnModel]

    @model_validator(mode="after")
    def _consistent(self) -> "_ListModel":
        names = [c.name for c in self.columns]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: duplicate column names")
        if not names or names[0] != "Title":
            raise ValueError(f"{self.name}: the first column must be SharePoint's Title")
        key = next((c for c in self.columns if c.name == self.key), None)
        if key is None or not key.unique or key.type is not ColumnType.TEXT:
            raise ValueError(f"{self.name}: key {self.key!r} must be a unique, required text column")
        if sum(1 for c in self.columns if c.indexed or c.unique) > MAX_INDEXES:
            raise ValueError(f"{self.name}: more than {MAX_INDEXES} indexed columns")
        return self

    def freeze(self) -> ListSpec:
        return ListSpec(
            name=self.name,
            display=self.display,
            description=self.description,
            key=self.key,
            owner=self.owner,
            columns=tuple(
                ColumnSpec(
                    name=c.name,
                    display=c.display,
                    type=c.type,
                    owner=c.owner or self.owner,
                    required=c.required,
                    indexed=c.indexed or c.unique,
                    unique=c.unique,
                    choices=tuple(c.choices),
                )
                for c in self.columns
            ),
        )


class _ListsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lists: list[_ListModel]


def load_list_specs(path: Path | None = None) -> dict[str, ListSpec]:
    """Every declared list by internal name, from `path` or the packaged `lists.toml`."""
    if path is None:
        raw = resources.files("config").joinpath("lists.toml").read_bytes()
    else:
        raw = path.read_bytes()
    parsed = _ListsFile.model_validate(tomllib.loads(raw.decode("utf-8")))
    specs = [model.freeze() for model in parsed.lists]
    by_name = {spec.name: spec for spec in specs}
    if len(by_name) != len(specs):
        raise ValueError("duplicate list names in lists.toml")
    return by_name


def spec_to_dict(spec: ListSpec) -> dict[str, Any]:
    """A JSON-able form of a spec, for stores that persist what they provisioned."""
    return {
        "name": spec.name,
        "display": spec.display,
        "description": spec.description,
        "key": spec.key,
        "owner": str(spec.owner),
        "columns": [
            {
                "name": c.name, "display": c.display, "type": str(c.type), "owner": str(c.owner),
                "required": c.required, "indexed": c.indexed, "unique": c.unique,
                "choices": list(c.choices),
            }
            for c in spec.columns
        ],
    }


def spec_from_dict(data: Mapping[str, Any]) -> ListSpec:
    """The inverse of `spec_to_dict`."""
    return ListSpec(
        name=data["name"],
        display=data["display"],
        description=data.get("description", ""),
        key=data["key"],
        owner=Owner(data["owner"]),
        columns=tuple(
            ColumnSpec(
                name=c["name"], display=c["display"], type=ColumnType(c["type"]),
                owner=Owner(c["owner"]), required=c["required"], indexed=c["indexed"],
                unique=c["unique"], choices=tuple(c["choices"]),
            )
            for c in data["columns"]
        ),
    )
