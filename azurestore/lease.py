"""An exclusive lock across machines: a lease on a blob (`<prefix>-locks/<name>`).

Azure grants a blob's lease to one client at a time and answers 409 LeaseAlreadyPresent to the
next (https://learn.microsoft.com/rest/api/storageservices/lease-blob). The lease is taken for
`seconds` (15–60) and renewed in the background while held, so a holder that dies frees the
lock within that time without anyone breaking it; a holder that cannot renew for two thirds
of it sets `lost` and stops its run before the lease can pass to another. The holder writes who it is into the blob's
metadata under the lease, for `holder()` to name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob.aio import BlobLeaseClient

from azurestore.client import StateStorage

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60


class BlobLeaseLock:
    """`graph_sync.lock.RunLock` on a blob lease; opens its clients only while it needs them."""

    def __init__(self, connection_string: str, prefix: str, name: str = "sync", *,
                 seconds: int = LEASE_SECONDS) -> None:
        if not 15 <= seconds <= 60:
            raise ValueError("a blob lease lasts 15 to 60 seconds")
        self._connection, self._prefix, self._name, self._seconds = connection_string, prefix, name, seconds
        self._storage: StateStorage | None = None
        self._lease: BlobLeaseClient | None = None
        self._renewing: asyncio.Task[None] | None = None
        self.lost = asyncio.Event()  # set when a renewal finds the lease gone

    async def acquire(self) -> bool:
        if self._lease is not None:
            return False  # held by this very object: a second holder, even here, must wait
        self.lost.clear()
        storage = StateStorage(self._connection, self._prefix)
        lease: BlobLeaseClient | None = None
        try:
            blob = (await storage.container("locks")).get_blob_client(self._name)
            try:
                await blob.upload_blob(b"", overwrite=False)
            except (ResourceExistsError, HttpResponseError) as exc:
                if getattr(exc, "status_code", None) not in (409, 412):
                    raise  # 409: it exists; 412: it exists and is leased
            try:
                lease = await blob.acquire_lease(lease_duration=self._seconds)
            except HttpResponseError as exc:
                if exc.status_code == 409:
                    await storage.close()
                    return False
                raise
            await blob.set_blob_metadata({"holder": f"pid {os.getpid()} on {socket.gethostname()}"}, lease=lease)
        except BaseException:
            if lease is not None:  # taken but not named: give it back rather than block for a minute
                with contextlib.suppress(Exception):
                    await lease.release()
            await storage.close()
            raise
        self._storage, self._lease = storage, lease
        self._renewing = asyncio.create_task(self._renew())
        return True

    async def _renew(self) -> None:
        """Renew every sixth of the lease. The lease counts as lost when the service says it is
        someone else's (409, 412) or gone (404), and also when no renewal has succeeded for two
        thirds of it: storage out of reach, the run must stop before the lease can run out."""
        every, last_ok = self._seconds / 6, time.monotonic()
        while True:
            await asyncio.sleep(every)
            try:
                assert self._lease is not None
                await asyncio.wait_for(self._lease.renew(), every)
                last_ok = time.monotonic()
                continue
            except HttpResponseError as exc:
                if exc.status_code in (404, 409, 412):  # taken, broken or deleted: not ours any more
                    self._lose("the service says it is not ours any more")
                    return
                failure = f"HTTP {exc.status_code}"
            except Exception as exc:  # noqa: BLE001 - keep trying while the lease lasts
                failure = type(exc).__name__
            if time.monotonic() - last_ok >= self._seconds * 2 / 3:
                self._lose(f"no renewal for {time.monotonic() - last_ok:.0f} seconds ({failure})")
                return
            logger.warning("lock %s: renewing the lease failed (%s); trying again", self._name, failure)

    def _lose(self, why: str) -> None:
        logger.error("lock %s: the lease was lost (%s); the run holding it stops", self._name, why)
        self.lost.set()

    async def holder(self) -> str:
        storage = StateStorage(self._connection, self._prefix)
        try:
            blob = (await storage.container("locks")).get_blob_client(self._name)
            props = await blob.get_blob_properties()
        except ResourceNotFoundError:
            return "?"
        finally:
            await storage.close()
        if props.lease.state != "leased":
            return "?"
        return (props.metadata or {}).get("holder") or "?"

    async def release(self) -> None:
        if self._lease is None:
            return
        if self._renewing is not None:
            self._renewing.cancel()
            self._renewing = None
        try:
            # Refused (409) when the lease is someone else's now; bounded, as the SDK would retry an
            # unreachable account for minutes and the lease runs out by itself anyway.
            await asyncio.wait_for(self._lease.release(), self._seconds / 6)
        except HttpResponseError:
            if not self.lost.is_set():  # lost: said already
                logger.warning("lock %s: the lease was lost before its release", self._name)
        except Exception as exc:  # noqa: BLE001 - a lease not released runs out within its seconds
            logger.warning("lock %s: releasing the lease failed (%s); it runs out by itself", self._name,
                           type(exc).__name__)
        finally:
            self._lease = None
            if self._storage is not None:
                await self._storage.close()
                self._storage = None
