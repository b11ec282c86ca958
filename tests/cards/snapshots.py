"""Every card the bot sends, in Japanese and English, rendered by the official adaptivecards
renderer in a real browser (Debian's Chromium, headless) to one PNG each, for a person to look at.

`make cards` writes them to var/cards (index.html shows them all on one page); the card tests
run the same and check that every card rendered. The cards are the template tests' cases: each
template filled with the data the bot fills it with.

    python -m tests.cards.snapshots OUT_DIR
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cards.render import render
from tests.browser import chromium

RENDERER = Path(__file__).parent / "js" / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"
WIDTH = 480  # about a Teams chat column

PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>cards</title>
<script src="{renderer}"></script>
<style>body {{ margin: 0; background: #f0f0f0; font-family: sans-serif; }}
section {{ margin: 16px; width: {width}px; }} h2 {{ font-size: 12px; color: #555; margin: 0 0 4px; }}
.card {{ background: #fff; border-radius: 4px; box-shadow: 0 1px 2px #aaa; }}</style></head>
<body>{sections}
<pre id="result" hidden></pre>
<script>
const result = {{}};
for (const section of document.querySelectorAll("section")) {{
  const card = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext();
  card.parse(JSON.parse(section.querySelector("script").textContent), context);
  const problems = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  const rendered = card.render();
  section.querySelector(".card").appendChild(rendered);
  result[section.id] = {{ rendered: !!rendered && rendered.classList.contains("ac-adaptiveCard"),
                         height: Math.ceil(section.getBoundingClientRect().height), problems }};
}}
document.getElementById("result").textContent = JSON.stringify(result);
</script></body></html>
"""


@dataclass(frozen=True, slots=True)
class Snapshot:
    label: str
    png: Path
    rendered: bool
    height: int
    problems: list[str]


def _slug(label: str) -> str:
    """A file name for a card: its label's ASCII words, with a short digest so labels that
    differ only in Japanese (proposal_status 差し戻し / 審査中) stay apart."""
    ascii_words = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")
    return f"{ascii_words}-{hashlib.sha256(label.encode()).hexdigest()[:6]}"


def _embedded(card: dict[str, Any]) -> str:
    """The card as JSON inside a <script> element (no "</" can end it early)."""
    return json.dumps(card, ensure_ascii=False).replace("</", "<\\/")


def _page(cards: list[tuple[str, dict[str, Any]]]) -> str:
    sections = "".join(
        f'<section id="{_slug(label)}"><h2>{html.escape(label)}</h2><div class="card"></div>'
        f'<script type="application/json">{_embedded(card)}</script></section>' for label, card in cards)
    return PAGE.format(renderer=RENDERER.as_uri(), width=WIDTH, sections=sections)


def render_all(out: Path) -> list[Snapshot]:
    """Render every card to OUT/NAME.png (and OUT/index.html with all of them)."""
    from tests.cards.test_templates import cases

    if not RENDERER.is_file():
        raise RuntimeError(f"{RENDERER} is missing (make install-test installs it)")
    out.mkdir(parents=True, exist_ok=True)
    cards = [(label, render(name, data)) for label, name, data in cases()]
    index = out / "index.html"
    index.write_text(_page(cards), "utf-8")
    dom = chromium(out / ".chromium", "--dump-dom", index.as_uri())
    found = re.search(r'<pre id="result" hidden="">(.*?)</pre>', dom.stdout, re.S)
    if dom.returncode != 0 or not found:
        raise RuntimeError(f"Chromium did not render the cards: {dom.stderr[-2000:]}")
    measured = json.loads(html.unescape(found.group(1)))

    def shoot(n: int, label: str, card: dict[str, Any]) -> Snapshot:
        slug = _slug(label)
        page, png = out / f"{slug}.html", out / f"{slug}.png"
        page.write_text(_page([(label, card)]), "utf-8")
        size = measured.get(slug, {})
        height = int(size.get("height") or 600) + 32
        done = chromium(out / f".chromium-{n % 2}", f"--window-size={WIDTH + 32},{height}",
                         f"--screenshot={png}", page.as_uri())
        page.unlink()
        if done.returncode != 0 or not png.is_file():
            raise RuntimeError(f"{label}: no screenshot: {done.stderr[-1000:]}")
        return Snapshot(label, png, bool(size.get("rendered")), int(size.get("height") or 0),
                        list(size.get("problems") or []))

    with ThreadPoolExecutor(max_workers=2) as pool:  # one browser per core
        shots = list(pool.map(lambda args: shoot(*args), [(n, label, card) for n, (label, card) in enumerate(cards)]))
    for profile in out.glob(".chromium*"):
        shutil.rmtree(profile, ignore_errors=True)
    return shots


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("var/cards")
    shots = render_all(out)
    bad = [s for s in shots if not s.rendered or s.problems]
    for shot in shots:
        print(f"{shot.png}  {shot.height}px{'  ' + '; '.join(shot.problems) if shot.problems else ''}")
    print(f"{len(shots)} cards, {len(bad)} with problems; all on one page: {out / 'index.html'}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
