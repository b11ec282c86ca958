"""Adaptive Card templates (cards/*.json) filled with data, as the Adaptive Cards Templating
language does it: `${path}` in strings, `$data` to repeat an element over a list, `$when` to
keep an element when its condition holds, `$root` for the top-level data.

Only the subset our templates use, and only in forms the official templating
(adaptivecards-templating) reads the same way: a `$when` is `${flag}` with a boolean flag, or
`${!empty(path)}` / `${empty(path)}`. Anything else fails loudly at render time; the tests fill
every template with both and compare.
See https://learn.microsoft.com/adaptive-cards/templating/language
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
_EXPRESSION = re.compile(r"\$\{([^}]+)\}")


class TemplateError(ValueError):
    """A template refers to something the data does not have."""


@lru_cache(maxsize=None)
def _template(name: str) -> Any:
    return json.loads(resources.files("cards").joinpath(f"{name}.json").read_text("utf-8"))


def _lookup(path: str, scope: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    parts = path.strip().split(".")
    value: Any = root if parts[0] == "$root" else scope
    for part in parts[1:] if parts[0] == "$root" else parts:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif value is scope and part in root:
            value = root[part]  # names not on the repeated item fall back to the root
        else:
            raise TemplateError(f"template refers to ${{{path}}}, which the data lacks")
    return value


_EMPTY_TEST = re.compile(r"(!?)empty\(([\w.$]+)\)")


def _condition(expression: Any, scope: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
    """A `$when`: `${flag}` (a boolean) or `${!empty(path)}` / `${empty(path)}`."""
    whole = _EXPRESSION.fullmatch(expression) if isinstance(expression, str) else None
    if whole is None:
        raise TemplateError(f"$when must be one ${{...}} expression, got {expression!r}")
    inner = whole.group(1).strip()
    test = _EMPTY_TEST.fullmatch(inner)
    if test:
        try:
            value = _lookup(test.group(2), scope, root)
        except TemplateError:
            value = None  # empty() of a missing property is true in the official templating
        empty = value is None or value == "" or value == [] or value == {}
        return not empty if test.group(1) else empty
    value = _lookup(inner, scope, root)
    if not isinstance(value, bool):
        # The official templating drops an element whose condition is a non-empty string.
        raise TemplateError(f"$when ${{{inner}}} must be a boolean; use ${{!empty({inner})}} for text")
    return value


def _fill(node: Any, scope: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    if isinstance(node, str):
        whole = _EXPRESSION.fullmatch(node)
        if whole:
            return _lookup(whole.group(1), scope, root)  # keeps numbers, booleans and lists
        return _EXPRESSION.sub(lambda m: str(_lookup(m.group(1), scope, root)), node)
    if isinstance(node, list):
        out = []
        for element in node:
            if isinstance(element, dict) and "$data" in element:
                items = _fill(element["$data"], scope, root)
                body = {k: v for k, v in element.items() if k != "$data"}
                out += [x for item in items if (x := _fill(body, item, root)) is not None]
            elif (filled := _fill(element, scope, root)) is not None:
                out.append(filled)
        return out
    if isinstance(node, dict):
        if "$when" in node and not _condition(node["$when"], scope, root):
            return None
        return {k: _fill(v, scope, root) for k, v in node.items() if k != "$when"}
    return node


def render(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The card `name` (cards/<name>.json) filled with `data`."""
    # _fill builds new dicts and lists and never mutates its input, so the cached template is
    # shared safely between renders.
    return _fill(_template(name), data, data)


def inert(text: str) -> str:
    """Text someone typed, as a TextBlock should show it: Teams renders Markdown in TextBlocks,
    so `[here](https://…)` in a proposal's title would become a link under another label. A
    zero-width space between `]` and `(` keeps it text, and it reads the same."""
    return text.replace("](", "]\u200b(")


def attachment(card: Mapping[str, Any]) -> dict[str, Any]:
    """A card as a Bot Framework attachment."""
    return {"contentType": CONTENT_TYPE, "content": card}
