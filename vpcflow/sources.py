"""Where flow logs come from: local trees and S3, their key layouts, and selecting objects by name.

AWS delivers a flow log to S3 as objects named
``{account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz``
(``.log.parquet`` for Parquet delivery) under one of three prefixes:

=========  ===========================================================================
default    ``AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD/``
hourly     ``AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD/HH/``
hive       ``AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/``
           ``year=YYYY/month=MM/day=DD/`` (``hour=HH/`` too with hourly partitions)
=========  ===========================================================================

:func:`list_objects` lists a source (files, directories, ``s3://bucket/prefix``
URLs) and parses every object's key into a :class:`LogObject`: account,
region, flow-log id, file timestamp and layout.  ``include_accounts=``,
``include_regions=``, ``start=`` and ``end=`` select objects from their keys
alone, without opening (or downloading) them; :func:`vpcflow.read_logs`,
:func:`vpcflow.convert` and :func:`vpcflow.ingest` take the same keywords.

**Time selection is conservative.**  An object's name carries one timestamp,
but its records are aggregated over an interval (up to 10 minutes) before the
5-minute delivery window the file belongs to, so the start times of its
records can lie before the timestamp, and AWS does not document by how much
exactly.  An object stamped ``T`` is taken to hold records starting in
``[T - slack, T + slack)`` (``slack`` defaults to 900 s: a 10-minute
aggregation interval plus a 5-minute delivery window), and is selected when
that window overlaps ``[start, end)``.  So a selection never misses the
records of the range that arrived on time, and may bring a few records just
outside it: filter rows on ``start`` for an exact range.  Records delivered
later than ``slack`` (AWS delivers on a best-effort basis) sit in objects
stamped after the window; raise ``slack`` if that matters.  Without a name
timestamp the date (and hour) folders give the window, widened the same way.

**Unknown keys are kept.**  A filter drops only objects it can prove are
outside it: an object whose key says nothing about its account, region or
time (``flows.log``) is always selected.

S3 (``pip install 'vpcflow[s3]'``, which brings boto3): credentials, region
and profile come from the usual places (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``,
``~/.aws/``...); the endpoint from ``endpoint_url=``, else the
``VPCFLOW_S3_ENDPOINT`` environment variable, else boto3's own default
(which also honours ``AWS_ENDPOINT_URL_S3``), for MinIO, LocalStack or moto.
Objects are downloaded in parallel (``download_threads=``) and parsed from
memory; nothing is written to disk.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence, Union

from .manifest import InputKey

__all__ = ["LogObject", "list_objects", "parse_key", "to_epoch", "DEFAULT_SLACK", "LAYOUTS"]

PathLike = Union[str, "os.PathLike[str]"]
#: Time = a datetime, a date, epoch seconds, or an ISO 8601 string.
TimeLike = Union[_dt.datetime, _dt.date, int, float, str]

#: Seconds an object's records may start before (or after) its file timestamp.
DEFAULT_SLACK = 900
#: The key layouts :func:`parse_key` recognises.
LAYOUTS = ("default", "hourly", "hive")

_NAME = re.compile(
    r"(?P<account>\d{12})_vpcflowlogs_(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)_(?P<flow_log_id>fl-[0-9A-Za-z]+)_"
    r"(?P<ts>\d{8}T\d{4}Z)_(?P<hash>[0-9A-Za-z]+)(?P<suffix>\.log(?:\.[0-9A-Za-z]+)*)$")
_DEFAULT = re.compile(
    r"(?:^|/)AWSLogs/(?P<account>\d{12})/vpcflowlogs/(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?:(?P<h>\d{2})/)?[^/]*$")
_HIVE = re.compile(
    r"(?:^|/)AWSLogs/aws-account-id=(?P<account>\d{12})/aws-service=vpcflowlogs/"
    r"aws-region=(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)/"
    r"year=(?P<y>\d{4})/month=(?P<m>\d{2})/day=(?P<d>\d{2})/(?:hour=(?P<h>\d{2})/)?[^/]*$")


# ===================================================================
# Objects and their keys
# ===================================================================
@dataclass(frozen=True)
class LogObject:
    """One delivered object (a local file or an S3 object) and what its key says.

    Attributes:
        path: the local path, or the ``s3://bucket/key`` URL.
        size: bytes.
        mtime: modification time (S3: LastModified), epoch seconds.
        account, region, flow_log_id: from the object name, else from the
            prefix (account, region), else None.
        timestamp: the name's ``YYYYMMDDTHHmmZ`` as epoch seconds, or None.
        hash: the name's hash part, or None.
        layout: ``"default"``, ``"hourly"``, ``"hive"`` or None (no AWS prefix).
        folder_time: ``(first, last + 1)`` epoch seconds of the date (hour)
            folders, or None.

    It is path-like (``os.fspath`` gives :attr:`path`), so it can stand
    wherever a path is taken.

    Example:
        >>> o = parse_key("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/01/"
        ...               "123456789012_vpcflowlogs_us-east-1_fl-0abc_20240601T1205Z_deadbeef.log.gz")
        >>> o.account, o.region, o.flow_log_id, o.layout, o.time_window(0)
        ('123456789012', 'us-east-1', 'fl-0abc', 'default', (1717243500, 1717243500))
    """

    path: str
    size: int = 0
    mtime: float = 0.0
    account: str | None = None
    region: str | None = None
    flow_log_id: str | None = None
    timestamp: int | None = None
    hash: str | None = None
    layout: str | None = None
    folder_time: tuple[int, int] | None = None
    endpoint_url: str | None = field(default=None, compare=False, repr=False)

    def __fspath__(self) -> str:
        return self.path

    def __str__(self) -> str:
        return self.path

    @property
    def is_s3(self) -> bool:
        """Whether the object is in S3 (an ``s3://`` URL)."""
        return self.path.startswith("s3://")

    @property
    def bucket_key(self) -> tuple[str, str]:
        """``(bucket, key)`` of an S3 object."""
        return _split_url(self.path)

    @property
    def input_name(self) -> str:
        """The name a dataset's manifest records the object under: the URL, or the absolute path."""
        return self.path if self.is_s3 else os.path.abspath(self.path)

    @property
    def input_key(self) -> InputKey:
        """How a dataset's manifest identifies the object (name, size, mtime)."""
        if self.is_s3:
            return InputKey(self.path, int(self.size), round(float(self.mtime), 6))
        return InputKey.of_file(self.path)

    def time_window(self, slack: float = DEFAULT_SLACK) -> tuple[int, int] | None:
        """``[lo, hi)`` epoch seconds the object's records may start in, or None if the key does not say."""
        s = int(slack)
        if self.timestamp is not None:
            return self.timestamp - s, self.timestamp + s
        if self.folder_time is not None:
            return self.folder_time[0] - s, self.folder_time[1] + s
        return None


def parse_key(key: str, *, size: int = 0, mtime: float = 0.0, endpoint_url: str | None = None) -> LogObject:
    """Parse an object key or path into a :class:`LogObject` (nothing is opened).

    Fields the key does not carry are None; a key that follows no AWS layout
    gives ``layout=None``.

    Example:
        >>> o = parse_key("logs/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/"
        ...               "year=2024/month=06/day=01/hour=12/"
        ...               "123456789012_vpcflowlogs_eu-west-1_fl-1_20240601T1200Z_ab12.log.parquet")
        >>> o.layout, o.region, o.timestamp, o.folder_time
        ('hive', 'eu-west-1', 1717243200, (1717243200, 1717246800))
        >>> parse_key("/tmp/flows.log").account is None
        True
    """
    k = key.replace(os.sep, "/") if os.sep != "/" else key
    info: dict[str, Any] = {}
    m = _NAME.search(k.rsplit("/", 1)[-1])
    if m:
        info.update(account=m["account"], region=m["region"], flow_log_id=m["flow_log_id"], hash=m["hash"])
        try:
            info["timestamp"] = calendar.timegm(_dt.datetime.strptime(m["ts"], "%Y%m%dT%H%MZ").timetuple())
        except ValueError:
            pass
    p = _HIVE.search(k)
    layout = "hive" if p else None
    if not p:
        p = _DEFAULT.search(k)
        layout = None if not p else "hourly" if p["h"] else "default"
    if p:
        info["layout"] = layout
        info.setdefault("account", p["account"])
        info.setdefault("region", p["region"])
        try:
            y, mo, d = int(p["y"]), int(p["m"]), int(p["d"])
            lo = calendar.timegm((y, mo, d, int(p["h"] or 0), 0, 0))
            info["folder_time"] = (lo, lo + (3600 if p["h"] else 86400))
        except (ValueError, OverflowError):
            pass
    return LogObject(key, size=size, mtime=mtime, endpoint_url=endpoint_url, **info)


# ===================================================================
# Time
# ===================================================================
def to_epoch(t: TimeLike, *, name: str = "time") -> int:
    """Epoch seconds from a datetime (naive means UTC), a date, a number, or an ISO 8601 string.

    Example:
        >>> to_epoch("2024-06-01T12:00Z"), to_epoch("2024-06-01"), to_epoch(1717243200.9)
        (1717243200, 1717200000, 1717243200)
        >>> import datetime as dt
        >>> to_epoch(dt.datetime(2024, 6, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
        1717243200
    """
    if isinstance(t, bool):
        raise TypeError(f"{name} must be a datetime, epoch seconds or an ISO 8601 string, not {t!r}")
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        return int(t.timestamp() // 1)
    if isinstance(t, _dt.date):
        return calendar.timegm((t.year, t.month, t.day, 0, 0, 0))
    if isinstance(t, (int, float)):
        return int(t // 1)
    if hasattr(t, "item") and not isinstance(t, str):  # numpy scalars (datetime64 in seconds or finer)
        import numpy as np

        if isinstance(t, np.datetime64):
            return int(t.astype("datetime64[s]").astype(np.int64))
        return to_epoch(t.item(), name=name)
    if isinstance(t, str):
        s = t.strip()
        if re.fullmatch(r"[+-]?\d+(\.\d*)?", s):
            return int(float(s) // 1)
        try:
            return to_epoch(_dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s),
                            name=name)
        except ValueError:
            raise ValueError(f"{name}={t!r} is not a time: use a datetime, epoch seconds or ISO 8601 "
                             f"('2024-06-01', '2024-06-01T12:00Z')") from None
    raise TypeError(f"{name} must be a datetime, epoch seconds or an ISO 8601 string, not {type(t).__name__}")


# ===================================================================
# Selection
# ===================================================================
@dataclass(frozen=True)
class Selection:
    """Filters on object keys (see :func:`list_objects`)."""

    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    start: int | None = None
    end: int | None = None
    slack: float = DEFAULT_SLACK

    @classmethod
    def of(cls, include_accounts: Iterable[str | int] | str | int | None = None,
           include_regions: Iterable[str] | str | None = None, start: TimeLike | None = None,
           end: TimeLike | None = None, slack: float = DEFAULT_SLACK) -> "Selection":
        def names(v: Any, what: str) -> frozenset[str] | None:
            if v is None:
                return None
            if isinstance(v, (str, int)):
                v = [v]
            out = frozenset(f"{x:012d}" if isinstance(x, int) and what == "account" else str(x) for x in v)
            if not out:
                raise ValueError(f"include_{what}s is empty: it would select nothing")
            return out

        s = None if start is None else to_epoch(start, name="start")
        e = None if end is None else to_epoch(end, name="end")
        if s is not None and e is not None and e <= s:
            raise ValueError(f"end ({end!r}) must be after start ({start!r})")
        if not isinstance(slack, (int, float)) or slack < 0:
            raise ValueError(f"slack must be a non-negative number of seconds, not {slack!r}")
        return cls(names(include_accounts, "account"), names(include_regions, "region"), s, e, slack)

    @property
    def active(self) -> bool:
        return any(x is not None for x in (self.accounts, self.regions, self.start, self.end))

    def keep(self, o: LogObject) -> bool:
        if self.accounts is not None and o.account is not None and o.account not in self.accounts:
            return False
        if self.regions is not None and o.region is not None and o.region not in self.regions:
            return False
        if self.start is not None or self.end is not None:
            w = o.time_window(self.slack)
            if w is not None:
                if self.start is not None and w[1] <= self.start:
                    return False
                if self.end is not None and w[0] >= self.end:
                    return False
        return True


def list_objects(
    src: PathLike | LogObject | Iterable[PathLike | LogObject],
    *,
    include_accounts: Iterable[str | int] | str | int | None = None,
    include_regions: Iterable[str] | str | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    slack: float = DEFAULT_SLACK,
    endpoint_url: str | None = None,
) -> list[LogObject]:
    """List the objects of a source and select them by key, without opening them.

    Args:
        src: a file, a directory (walked recursively, hidden and ``_``-names
            skipped, as by :func:`vpcflow.read_logs`), an ``s3://bucket/prefix``
            URL (every object under the prefix, read as a folder: ``s3://b/logs``
            lists ``logs`` and ``logs/...``, not ``logs2/``), a
            :class:`LogObject`, or a list of these.
        include_accounts: account ids to keep (strings, or ints zero-padded to 12 digits).
        include_regions: regions to keep (``"us-east-1"``).
        start, end: keep objects whose records may start in ``[start, end)``:
            a datetime (naive = UTC), epoch seconds or an ISO 8601 string.
            Conservative: see the module documentation and ``slack``.
        slack: seconds an object's records may start before or after its
            file timestamp (default 900).
        endpoint_url: the S3 endpoint (default: ``VPCFLOW_S3_ENDPOINT``, else boto3's).

    Returns:
        The selected objects, in listing order (sorted paths and keys; each
        object once, however many of the given paths reach it), each with the
        fields its key carries.

    Example:
        >>> import vpcflow, tempfile
        >>> d = tempfile.mkdtemp()
        >>> _ = vpcflow.synth.write_sample(d, records=2000, hours=2, start=1_700_000_000, regions=("us-east-1", "eu-west-1"))
        >>> objs = vpcflow.list_objects(d, include_regions="eu-west-1", start="2023-11-14T22:30Z", end="2023-11-14T22:45Z")
        >>> sorted({o.region for o in objs}), len(objs) < len(vpcflow.list_objects(d))
        (['eu-west-1'], True)
        >>> objs[0].layout, objs[0].flow_log_id.startswith("fl-")
        ('default', True)
    """
    sel = Selection.of(include_accounts, include_regions, start, end, slack)
    if isinstance(src, (str, os.PathLike, LogObject)):  # (a LogObject is os.PathLike too: it has __fspath__)
        src = [src]
    out: list[LogObject] = []
    seen: set[str] = set()
    for s in src:
        if isinstance(s, LogObject):
            objs = [s]
        else:
            p = os.fspath(s)
            objs = _list_s3(p, endpoint_url) if p.startswith("s3://") else _list_local(p)
        for o in objs:
            if o.path in seen:
                continue
            seen.add(o.path)
            if sel.keep(o):
                out.append(o)
    return out


def _list_local(p: str) -> list[LogObject]:
    from .reader import expand_paths

    out = []
    for f in expand_paths(p):
        st = os.stat(f)
        out.append(parse_key(f, size=st.st_size, mtime=round(st.st_mtime, 6)))
    return out


# ===================================================================
# S3
# ===================================================================
def _split_url(url: str) -> tuple[str, str]:
    m = re.fullmatch(r"s3://([^/]+)/?(.*)", url, flags=re.S)
    if not m or not m.group(1):
        raise ValueError(f"not an S3 URL (s3://bucket/prefix): {url!r}")
    return m.group(1), m.group(2)


def resolve_endpoint(endpoint_url: str | None) -> str | None:
    """``endpoint_url``, else ``VPCFLOW_S3_ENDPOINT``, else None (boto3 decides)."""
    return endpoint_url or os.environ.get("VPCFLOW_S3_ENDPOINT") or None


def s3_client(endpoint_url: str | None = None, *, max_connections: int = 16) -> Any:
    """A boto3 S3 client for ``endpoint_url`` (see :func:`resolve_endpoint`).

    Raises ImportError with the install command when boto3 is missing.
    """
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ImportError("reading s3:// paths needs boto3: pip install 'vpcflow[s3]'") from None
    cfg = Config(max_pool_connections=max(10, max_connections), retries={"max_attempts": 5, "mode": "standard"})
    return boto3.session.Session().client("s3", endpoint_url=resolve_endpoint(endpoint_url), config=cfg)


def _s3_error(url: str, e: BaseException) -> OSError:
    resp = getattr(e, "response", None) or {}
    err = resp.get("Error", {}) if isinstance(resp, dict) else {}
    code = err.get("Code") or type(e).__name__
    msg = err.get("Message") or str(e)
    return OSError(f"{url}: S3 error {code}: {msg}")


def _list_s3(url: str, endpoint_url: str | None) -> list[LogObject]:
    bucket, prefix = _split_url(url)
    client = s3_client(endpoint_url)
    endpoint = resolve_endpoint(endpoint_url)
    out: list[LogObject] = []
    folder = prefix == "" or prefix.endswith("/")
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                key = item["Key"]
                if key.endswith("/"):
                    continue  # a folder marker
                if not folder and key != prefix and not key.startswith(prefix + "/"):
                    continue  # s3://b/logs lists logs and logs/..., not logs2/
                rel = key[len(prefix):] if folder else key[len(prefix) + 1:] if key != prefix else ""
                if any(part.startswith((".", "_")) for part in rel.split("/") if part):
                    continue  # hidden and bookkeeping names, as in a local walk
                mtime = item["LastModified"].timestamp() if "LastModified" in item else 0.0
                out.append(parse_key(f"s3://{bucket}/{key}", size=int(item.get("Size", 0)), mtime=round(mtime, 6),
                                     endpoint_url=endpoint))
    except Exception as e:  # botocore's ClientError, EndpointConnectionError, NoCredentialsError...
        if isinstance(e, (ImportError, ValueError)):
            raise
        raise _s3_error(url, e) from e
    return out


def fetch(objects: Sequence[LogObject], *, threads: int = 16) -> list[bytes]:
    """Download S3 objects in parallel (``threads`` at a time); their bytes, in order.

    A failure raises OSError naming the object and S3's error code.
    """
    if not objects:
        return []
    clients: dict[str | None, Any] = {}
    for o in objects:
        if o.endpoint_url not in clients:
            clients[o.endpoint_url] = s3_client(o.endpoint_url, max_connections=threads)

    def get(o: LogObject) -> bytes:
        bucket, key = o.bucket_key
        try:
            return clients[o.endpoint_url].get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as e:
            raise _s3_error(o.path, e) from e

    if len(objects) == 1 or threads <= 1:
        return [get(o) for o in objects]
    with ThreadPoolExecutor(max_workers=min(threads, len(objects)), thread_name_prefix="vpcflow-s3") as pool:
        return list(pool.map(get, objects))
