"""The app's two icons, drawn here so that the package needs no image files or libraries.

Teams asks for a color icon of 192×192 (a full-color square; Teams rounds its corners) and an
outline icon of 32×32, white on a transparent background
(https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/apps-package#app-icons).
Both show a speech bubble with three dots: a place to ask. Shapes are sampled four times per
pixel in each direction, so their edges are smooth.
"""

from __future__ import annotations

import struct
import zlib
from typing import Callable

RGBA = tuple[int, int, int, int]
Shape = Callable[[float, float], bool]  # is the point (x, y), in 0..1 units, inside?

ACCENT = (0x1F, 0x6F, 0xB2)  # the app's accent color (#1F6FB2): the city-hall blue of the color icon
SAMPLES = 4


def png(width: int, height: int, pixels: list[RGBA]) -> bytes:
    """An 8-bit RGBA PNG (https://www.w3.org/TR/png/)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(v for p in pixels[y * width:(y + 1) * width] for v in p) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _bubble(x: float, y: float) -> bool:
    """A rounded speech bubble with its tail at the bottom left."""
    left, top, right, bottom, r = 0.16, 0.2, 0.84, 0.7, 0.12
    cx, cy = min(max(x, left + r), right - r), min(max(y, top + r), bottom - r)
    if (x - cx) ** 2 + (y - cy) ** 2 <= r * r:
        return True
    # The tail: a triangle under the bubble's left part.
    return bottom - 0.01 <= y <= 0.86 and 0.28 <= x <= 0.28 + (0.86 - y) * 0.9 and x <= 0.46


def _dots(x: float, y: float) -> bool:
    return any((x - cx) ** 2 + (y - 0.45) ** 2 <= 0.055 ** 2 for cx in (0.33, 0.5, 0.67))


def _coverage(size: int, shape: Shape, px: int, py: int) -> float:
    step = 1 / (size * SAMPLES)
    inside = sum(shape((px * SAMPLES + i + 0.5) * step, (py * SAMPLES + j + 0.5) * step)
                 for i in range(SAMPLES) for j in range(SAMPLES))
    return inside / SAMPLES ** 2


def color_icon(size: int = 192) -> bytes:
    """White bubble, accent-colored dots, on the accent color."""
    pixels: list[RGBA] = []
    for py in range(size):
        for px in range(size):
            white = _coverage(size, lambda x, y: _bubble(x, y) and not _dots(x, y), px, py)
            r, g, b = (round(c + (255 - c) * white) for c in ACCENT)
            pixels.append((r, g, b, 255))
    return png(size, size, pixels)


def outline_icon(size: int = 32) -> bytes:
    """The bubble's outline and dots in white on transparency: Teams tints it itself."""
    border = 0.07

    def ring(x: float, y: float) -> bool:
        inner = any(not _bubble(x + dx, y + dy) for dx in (-border, border) for dy in (-border, border))
        return _bubble(x, y) and (inner or _dots(x, y))

    return png(size, size, [(255, 255, 255, round(255 * _coverage(size, ring, px, py)))
                            for py in range(size) for px in range(size)])
