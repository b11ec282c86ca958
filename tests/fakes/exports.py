"""Edits to the sample city's exports that tests and benchmarks make, written once."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path


def complete_some_courses(path: Path, share: float) -> int:
    """Mark `share` of the LMS rows (those not yet done) as completed; returns how many."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp932"), newline="")))
    wanted, changed = math.ceil((len(rows) - 1) * share), 0
    for r in rows[1:]:
        if changed < wanted and r[3] in {"未受講", "受講中"}:
            r[3], r[4], r[5] = "修了", "100", "令和8年6月1日"
            changed += 1
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("cp932"))
    return changed
