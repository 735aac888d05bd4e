"""The manifest of a converted dataset: what was ingested, which files hold it.

A dataset directory written by :func:`vpcflow.convert` keeps its bookkeeping
under ``DEST/_vpcflow/`` (a name every engine skips: Athena, Spark, pyarrow
and DuckDB ignore paths starting with ``_`` or ``.``):

``manifest.jsonl``
    one JSON object per line, appended and fsync'd: a ``dataset`` header, a
    ``batch`` record per committed conversion (its inputs with name, size and
    mtime, and the Parquet files it added) and a ``compact`` record per
    committed compaction (files removed and added).  A line cut short by a
    crash is ignored.
``pending-<id>.json``
    a journal written before a batch or compaction touches visible files.

A batch writes its Parquet files under hidden names (``.part-*.pending``),
writes its journal, appends its manifest record (the commit point), renames
the files into place and removes the journal.  Opening the manifest finishes
or undoes whatever a crash interrupted: a journal whose record was committed
is rolled forward (pending files renamed, replaced files deleted), any other
is rolled back (pending files deleted).  So a crash or Ctrl-C at any moment
leaves no partial file visible, loses nothing, and a re-run converts exactly
the inputs that were not committed.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["Manifest", "InputKey", "DIRNAME"]

DIRNAME = "_vpcflow"
VERSION = 1


@dataclass(frozen=True)
class InputKey:
    """An input as the manifest identifies it: name (path or URL), size and mtime."""

    name: str
    size: int
    mtime: float

    @staticmethod
    def of_file(path: str) -> "InputKey":
        st = os.stat(path)
        return InputKey(os.path.abspath(path), st.st_size, round(st.st_mtime, 6))

    def as_dict(self) -> dict:
        return {"name": self.name, "size": self.size, "mtime": self.mtime}


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes) -> None:
    """Write a small file atomically: a temporary name, fsync, rename."""
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(os.path.dirname(path) or ".")


@dataclass
class Manifest:
    """The manifest of one dataset directory (created on first use)."""

    root: str
    partition_by: str | None = None
    inputs: dict[str, InputKey] = field(default_factory=dict)     # name -> key
    files: dict[str, int] = field(default_factory=dict)            # live file (relative) -> rows
    columns: list[tuple[str, str]] = field(default_factory=list)  # the dataset's columns, in order
    recovered: list[str] = field(default_factory=list)             # what opening had to finish or undo

    @property
    def dir(self) -> str:
        return os.path.join(self.root, DIRNAME)

    @property
    def path(self) -> str:
        return os.path.join(self.dir, "manifest.jsonl")

    # -- loading -------------------------------------------------------
    @classmethod
    def open(cls, root: str, partition_by: str | None = None, create: bool = True) -> "Manifest":
        """Load (or start) the manifest of ``root``, finishing or undoing interrupted work first."""
        m = cls(root, partition_by)
        if not os.path.exists(m.path):
            if not create:
                raise FileNotFoundError(f"{root!r} has no vpcflow manifest ({m.path})")
            os.makedirs(m.dir, exist_ok=True)
            m._append({"kind": "dataset", "version": VERSION, "partition_by": partition_by, "created": time.time()})
        else:
            m._load()
        m._recover()
        return m

    def _records(self) -> Iterable[dict]:
        with open(self.path, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break  # cut short by a crash: never committed
                try:
                    yield json.loads(line)
                except ValueError:
                    # a line torn by a crash mid-append, which the next append closed with a newline:
                    # never committed, and the records after it are (a torn line is never valid JSON)
                    continue

    def _load(self) -> None:
        for rec in self._records():
            kind = rec.get("kind")
            if kind == "dataset":
                self.partition_by = rec.get("partition_by")
            elif kind == "batch":
                self._apply_batch(rec)
            elif kind == "compact":
                for f in rec["removed"]:
                    self.files.pop(f, None)
                self.files.update(rec["added"])

    def _apply_batch(self, rec: dict) -> None:
        for i in rec["inputs"]:
            key = InputKey(i["name"], i["size"], i["mtime"])
            self.inputs[key.name] = key
        self.files.update(rec["outputs"])
        known = {n for n, _ in self.columns}
        self.columns.extend((n, t) for n, t in rec.get("columns", []) if n not in known)

    @classmethod
    def peek(cls, root: str) -> "Manifest":
        """The committed state of ``root``'s manifest, read without the lock and without recovering
        anything (an interrupted batch's inputs are not in it); empty when there is no manifest."""
        m = cls(root)
        if os.path.exists(m.path):
            m._load()
        return m

    def committed_ids(self) -> set[str]:
        return {r["id"] for r in self._records() if "id" in r}

    # -- writing ---------------------------------------------------------
    def _append(self, rec: dict) -> None:
        line = (json.dumps(rec, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            # a previous crash may have left a partial last line: start on a fresh one
            if os.fstat(fd).st_size and not _ends_with_newline(self.path):
                os.write(fd, b"\n")
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def is_ingested(self, key: InputKey) -> bool:
        got = self.inputs.get(key.name)
        return got is not None and got.size == key.size and got.mtime == key.mtime

    # -- transactions ----------------------------------------------------------
    def begin(self, kind: str, pending: dict[str, str], removed: Iterable[str] = ()) -> "Txn":
        """Start a batch or compaction: ``pending`` maps hidden pending paths to final relative names."""
        txn = Txn(self, kind, uuid.uuid4().hex, dict(pending), list(removed))
        write_atomic(txn.journal, json.dumps(txn.describe()).encode())
        return txn

    def _recover(self) -> None:
        """Finish or undo interrupted work.  Only a writer holding the dataset's lock may do this."""
        if not os.path.isdir(self.dir):
            return
        for f in os.listdir(self.dir):
            if f.startswith(".") and ".tmp-" in f:  # a journal (or other small file) a kill cut short
                try:
                    os.unlink(os.path.join(self.dir, f))
                except FileNotFoundError:
                    pass
        journals = sorted(f for f in os.listdir(self.dir) if f.startswith("pending-") and f.endswith(".json"))
        if not journals:
            return
        committed = self.committed_ids()
        for j in journals:
            path = os.path.join(self.dir, j)
            try:
                with open(path) as fh:
                    rec = json.load(fh)
            except (OSError, ValueError):
                os.unlink(path)  # a journal cut short was written before anything visible was touched
                continue
            if rec["id"] in committed:
                Txn.roll_forward(self.root, rec)
                self.recovered.append(f"finished interrupted {rec['kind']} {rec['id']}")
            else:
                Txn.roll_back(self.root, rec)
                self.recovered.append(f"undid interrupted {rec['kind']} {rec['id']}")
            os.unlink(path)
        _fsync_dir(self.dir)


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


@dataclass
class Txn:
    """One batch or compaction in flight (see the module docstring)."""

    manifest: Manifest
    kind: str
    id: str
    pending: dict[str, str]   # absolute pending path -> final path relative to root
    removed: list[str]        # relative paths the commit replaces (compaction)

    @property
    def journal(self) -> str:
        return os.path.join(self.manifest.dir, f"pending-{self.id}.json")

    def describe(self) -> dict:
        return {"kind": self.kind, "id": self.id, "pending": self.pending, "removed": self.removed}

    def commit(self, record: dict[str, Any], rows: dict[str, int]) -> None:
        """Append the manifest record (the commit point), then make the files visible."""
        for p in self.pending:
            _fsync_dir(os.path.dirname(p))
        rec = dict(record, kind=self.kind, id=self.id)
        if self.kind == "batch":
            rec["outputs"] = {self.pending[p]: rows[self.pending[p]] for p in self.pending}
            self.manifest._append(rec)
            self.manifest._apply_batch(rec)
        else:
            rec["removed"] = self.removed
            rec["added"] = {self.pending[p]: rows[self.pending[p]] for p in self.pending}
            self.manifest._append(rec)
            for f in self.removed:
                self.manifest.files.pop(f, None)
            self.manifest.files.update(rec["added"])
        Txn.roll_forward(self.manifest.root, self.describe())
        os.unlink(self.journal)

    def abort(self) -> None:
        """Undo: delete the pending files and the journal."""
        Txn.roll_back(self.manifest.root, self.describe())
        try:
            os.unlink(self.journal)
        except OSError:
            pass

    @staticmethod
    def roll_forward(root: str, rec: dict) -> None:
        for pending, final in rec["pending"].items():
            if os.path.exists(pending):
                os.replace(pending, os.path.join(root, final))
        for f in rec.get("removed", []):
            try:
                os.unlink(os.path.join(root, f))
            except FileNotFoundError:
                pass

    @staticmethod
    def roll_back(root: str, rec: dict) -> None:
        for pending in rec["pending"]:
            try:
                os.unlink(pending)
            except FileNotFoundError:
                pass
