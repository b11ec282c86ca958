"""Debian's Chromium, headless, as the tests run it (make test installs it with a Japanese font):
what a person double-clicking a page or looking at a card would see."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# No network, no first-run screens, nothing from the machine's own profile.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Chromium with `args` (--dump-dom URL, --screenshot=FILE URL …) on its own profile folder."""
    browser = shutil.which("chromium")
    if not browser:
        raise RuntimeError("Chromium is needed (make test installs it)")
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120)
