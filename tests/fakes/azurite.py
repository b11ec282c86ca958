"""Azurite, Microsoft's Azure Storage emulator (npm, pinned by tests/azurite/package-lock.json),
started on 127.0.0.1 for the tests of the shared state and stopped after.

Each service listens on a port the OS picks (Azurite prints which); data lives in memory only.
The well-known development account and key are Azurite's own, documented ones:
https://learn.microsoft.com/azure/storage/common/storage-use-azurite#connection-strings
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

AZURITE = Path(__file__).resolve().parents[1] / "azurite" / "node_modules" / "azurite" / "dist" / "src" / "azurite.js"
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_LISTENING = re.compile(r"Azurite (Blob|Table) service is successfully listening at http://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class Azurite:
    blob_port: int
    table_port: int

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"BlobEndpoint=http://127.0.0.1:{self.blob_port}/{ACCOUNT};"
                f"TableEndpoint=http://127.0.0.1:{self.table_port}/{ACCOUNT};")


def unique_prefix() -> str:
    """A table and container name prefix of its own, so tests sharing one emulator never meet."""
    return "t" + uuid.uuid4().hex[:10]


class AzuriteProcess:
    """`node azurite.js` in memory on ephemeral loopback ports."""

    def __init__(self) -> None:
        if not AZURITE.is_file():
            raise RuntimeError(f"Azurite is not installed ({AZURITE}): run `make install-test`")
        self._proc = subprocess.Popen(
            ["node", str(AZURITE), "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--silent",
             "--blobHost", "127.0.0.1", "--blobPort", "0", "--queueHost", "127.0.0.1", "--queuePort", "0",
             "--tableHost", "127.0.0.1", "--tablePort", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ports: dict[str, int] = {}
        deadline = time.monotonic() + 60
        assert self._proc.stdout is not None
        while len(ports) < 2:
            line = self._proc.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Azurite did not start: {line!r}")
            found = _LISTENING.search(line)
            if found:
                ports[found.group(1)] = int(found.group(2))
        self.azurite = Azurite(ports["Blob"], ports["Table"])
        # Whatever it prints from now on is read and dropped, so a full pipe never stalls it.
        self._drain = threading.Thread(target=self._proc.stdout.read, daemon=True)
        self._drain.start()

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        drain = getattr(self, "_drain", None)
        if drain is not None:
            drain.join(timeout=10)  # the pipe is at its end once the process is gone
        if self._proc.stdout is not None:
            self._proc.stdout.close()
