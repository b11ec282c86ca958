"""Adaptive Card templates (cards/*.json) filled with data, as the Adaptive Cards Templating
language does it: `${path}` in strings, `$data` to repeat an element over a list, `$when` to
keep an element only when its expression is truthy, `$root` for the top-level data.

Only the subset our templates use; a template that asks for more fails loudly at render time.
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
        if "$when" in node and not _fill(node["$when"], scope, root):
            return None
        return {k: _fill(v, scope, root) for k, v in node.items() if k != "$when"}
    return node


def render(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The card `name` (cards/<name>.json) filled with `data`."""
    # _fill builds new dicts and lists and never mutates its input, so the cached template is
    # shared safely between renders.
    return _fill(_template(name), data, data)


def attachment(card: Mapping[str, Any]) -> dict[str, Any]:
    """A card as a Bot Framework attachment."""
    return {"contentType": CONTENT_TYPE, "content": card}
