"""Expressions and aggregates of the query DSL.

Build expressions from :func:`col` and literals with Python operators and
methods, and aggregates with the functions of this module; the lazy query
API (:mod:`vpcflow.query`) plans and runs them in C::

    >>> import vpcflow as vf
    >>> e = (vf.col("action") == "REJECT") & vf.col("dstport").isin([22, 3389])
    >>> e
    ((col("action") == 'REJECT') & col("dstport").isin([22, 3389]))
    >>> vf.sum("bytes").alias("total")
    sum(col("bytes")).alias('total')

Semantics are SQL's: a comparison or arithmetic with a null is null, ``&``
``|`` ``~`` use three-valued logic, a filter keeps the rows where its
condition is true, aggregates ignore nulls.

* Strings and addresses compare with ``==``, ``!=``, ``isin`` (and
  ``in_subnet`` for addresses); ``<``/``>`` on them compare the text, as SQL
  engines do on the strings of a Parquet file.  An address literal is parsed,
  so ``col("srcaddr") == "2001:DB8::1"`` matches the canonical ``2001:db8::1``.
* ``/`` on integers gives a float (DuckDB's rule), and dividing by zero
  gives infinity (or NaN for 0/0), as DuckDB does when division by zero is
  not an error; ``//`` floors and ``%`` has the sign of the divisor (Python's
  rules; SQL truncates), and ``//`` or ``%`` by zero gives null.
* ``bin(col("start"), "15m")`` floors a time in seconds to its bucket;
  durations take ``s``, ``m``, ``h``, ``d`` and ``w`` (``"90s"``, ``"1h"``).
* ``protocol_name(col("protocol"))`` and ``service_name(col("dstport"))``
  name numbers from IANA tables (:mod:`vpcflow.names`).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence, Union

from .errors import QueryError

__all__ = [
    "Expr", "Agg", "col", "lit", "bin", "in_subnet", "protocol_name", "service_name", "when",
    "count", "count_distinct", "sum", "min", "max", "avg", "mean", "stddev", "stddev_pop", "variance",
    "corr", "earliest", "latest", "parse_duration", "parse_cidr",
]

_py_sum, _py_min, _py_max = sum, min, max  # this module defines sum/min/max

Scalar = Union[int, float, bool, str, None]


# ===================================================================
# Expressions
# ===================================================================
class Expr:
    """A column expression.  Immutable; operators build new expressions."""

    __slots__ = ()

    # -- operators ---------------------------------------------------
    def __eq__(self, other: Any) -> "Expr":  # type: ignore[override]
        return Cmp("==", self, _wrap(other))

    def __ne__(self, other: Any) -> "Expr":  # type: ignore[override]
        return Cmp("!=", self, _wrap(other))

    def __lt__(self, other: Any) -> "Expr":
        return Cmp("<", self, _wrap(other))

    def __le__(self, other: Any) -> "Expr":
        return Cmp("<=", self, _wrap(other))

    def __gt__(self, other: Any) -> "Expr":
        return Cmp(">", self, _wrap(other))

    def __ge__(self, other: Any) -> "Expr":
        return Cmp(">=", self, _wrap(other))

    def __and__(self, other: Any) -> "Expr":
        return Logic("&", self, _wrap(other))

    def __rand__(self, other: Any) -> "Expr":
        return Logic("&", _wrap(other), self)

    def __or__(self, other: Any) -> "Expr":
        return Logic("|", self, _wrap(other))

    def __ror__(self, other: Any) -> "Expr":
        return Logic("|", _wrap(other), self)

    def __invert__(self) -> "Expr":
        return Not(self)

    def __add__(self, other: Any) -> "Expr":
        return Arith("+", self, _wrap(other))

    def __radd__(self, other: Any) -> "Expr":
        return Arith("+", _wrap(other), self)

    def __sub__(self, other: Any) -> "Expr":
        return Arith("-", self, _wrap(other))

    def __rsub__(self, other: Any) -> "Expr":
        return Arith("-", _wrap(other), self)

    def __mul__(self, other: Any) -> "Expr":
        return Arith("*", self, _wrap(other))

    def __rmul__(self, other: Any) -> "Expr":
        return Arith("*", _wrap(other), self)

    def __truediv__(self, other: Any) -> "Expr":
        return Arith("/", self, _wrap(other))

    def __rtruediv__(self, other: Any) -> "Expr":
        return Arith("/", _wrap(other), self)

    def __floordiv__(self, other: Any) -> "Expr":
        return Arith("//", self, _wrap(other))

    def __rfloordiv__(self, other: Any) -> "Expr":
        return Arith("//", _wrap(other), self)

    def __mod__(self, other: Any) -> "Expr":
        return Arith("%", self, _wrap(other))

    def __rmod__(self, other: Any) -> "Expr":
        return Arith("%", _wrap(other), self)

    def __neg__(self) -> "Expr":
        return Unary("neg", self)

    def __abs__(self) -> "Expr":
        return Unary("abs", self)

    def __bool__(self) -> bool:
        raise TypeError("an expression has no truth value: use & | ~ instead of and/or/not, "
                        "and a.isin([...]) instead of `in`")

    __hash__ = None  # type: ignore[assignment]  # == builds an expression

    # -- methods -------------------------------------------------------
    def isin(self, values: Iterable[Scalar]) -> "Expr":
        """True where the value is one of ``values`` (a null value gives null)."""
        if isinstance(values, (str, bytes)):
            raise QueryError("isin() takes a list of values, not a single string")
        vals = [_unbox(v) for v in values]
        return IsIn(self, tuple(vals))

    def between(self, low: Scalar, high: Scalar) -> "Expr":
        """``low <= self <= high``, both ends included (SQL BETWEEN)."""
        return Logic("&", Cmp(">=", self, _wrap(low)), Cmp("<=", self, _wrap(high)))

    def is_null(self) -> "Expr":
        """True where the value is null (never null itself)."""
        return IsNull(self, False)

    def is_not_null(self) -> "Expr":
        """True where the value is not null."""
        return IsNull(self, True)

    def in_subnet(self, *cidrs: str) -> "Expr":
        """True where an address lies in any of the CIDR blocks (IPv4 or IPv6)."""
        return InSubnet(self, tuple(parse_cidr(c) for c in cidrs))

    def like(self, pattern: str) -> "Expr":
        """True where the text contains ``pattern`` (CloudWatch Logs Insights' ``like "..."``)."""
        return Match(self, pattern, regex=False)

    def matches(self, regex: str) -> "Expr":
        """True where the text matches the regular expression anywhere (``like /re/``)."""
        try:
            re.compile(regex)
        except re.error as e:
            raise QueryError(f"bad regular expression {regex!r}: {e}") from None
        return Match(self, regex, regex=True)

    def bin(self, width: str | int) -> "Expr":
        """Floor a time in seconds to buckets of ``width`` (``"15m"``, ``"1h"`` or seconds)."""
        return Bin(self, parse_duration(width))

    def fill_null(self, value: Any) -> "Expr":
        """The value, or ``value`` where it is null (SQL COALESCE)."""
        return Coalesce(self, _wrap(value))

    def alias(self, name: str) -> "Expr":
        """The same expression, named ``name`` in a ``select`` or ``with_columns``."""
        return Alias(self, name)

    # -- introspection ----------------------------------------------------
    def columns(self) -> set[str]:
        """The names of the columns the expression reads."""
        out: set[str] = set()
        for e in self.walk():
            if isinstance(e, Col):
                out.add(e.name)
        return out

    def walk(self) -> Iterable["Expr"]:
        """This expression and every sub-expression, depth first."""
        yield self
        for c in self.children():
            yield from c.walk()

    def children(self) -> tuple["Expr", ...]:
        return ()

    @property
    def output_name(self) -> str:
        """The column name this expression gets in a result."""
        return repr(self)


def _unbox(v: Any) -> Any:
    """A NumPy scalar as the Python value it holds; anything else as it is."""
    return v.item() if hasattr(v, "item") and hasattr(v, "dtype") else v


def _wrap(v: Any) -> Expr:
    if isinstance(v, Expr):
        return v
    if isinstance(v, Agg):
        raise QueryError("an aggregate cannot be used inside a row expression")
    if hasattr(v, "item") and hasattr(v, "dtype"):  # a NumPy scalar
        v = v.item()
    return Lit(v)


@dataclass(frozen=True, eq=False, repr=False)
class Col(Expr):
    name: str

    def __repr__(self) -> str:
        return f'col("{self.name}")'

    @property
    def output_name(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False, repr=False)
class Lit(Expr):
    value: Scalar

    def __post_init__(self) -> None:
        if not isinstance(self.value, (int, float, str, bool)) and self.value is not None:
            raise QueryError(f"a literal must be an int, float, bool, str or None, not {type(self.value).__name__}")

    def __repr__(self) -> str:
        return repr(self.value)

    @property
    def output_name(self) -> str:
        return "literal"


@dataclass(frozen=True, eq=False, repr=False)
class Cmp(Expr):
    op: str
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def __repr__(self) -> str:
        return f"({self.left!r} {self.op} {self.right!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Logic(Expr):
    op: str  # "&" or "|"
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def __repr__(self) -> str:
        return f"({self.left!r} {self.op} {self.right!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Not(Expr):
    arg: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"~{self.arg!r}"


@dataclass(frozen=True, eq=False, repr=False)
class Arith(Expr):
    op: str  # + - * / // %
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def __repr__(self) -> str:
        return f"({self.left!r} {self.op} {self.right!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Unary(Expr):
    op: str  # neg, abs
    arg: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"-{self.arg!r}" if self.op == "neg" else f"abs({self.arg!r})"

    @property
    def output_name(self) -> str:
        return f"{self.op}({self.arg.output_name})" if self.op == "abs" else repr(self)


@dataclass(frozen=True, eq=False, repr=False)
class IsIn(Expr):
    arg: Expr
    values: tuple

    def __post_init__(self) -> None:
        for v in self.values:
            if not isinstance(v, (int, float, str, bool)):
                raise QueryError(f"isin() takes ints, floats or strings, not {type(v).__name__}")

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"{self.arg!r}.isin({list(self.values)!r})"


@dataclass(frozen=True, eq=False, repr=False)
class IsNull(Expr):
    arg: Expr
    negate: bool

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"{self.arg!r}.{'is_not_null' if self.negate else 'is_null'}()"


@dataclass(frozen=True, eq=False, repr=False)
class InSubnet(Expr):
    arg: Expr
    networks: tuple  # of ipaddress.IPv4Network / IPv6Network

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"{self.arg!r}.in_subnet({', '.join(repr(str(n)) for n in self.networks)})"


@dataclass(frozen=True, eq=False, repr=False)
class Match(Expr):
    arg: Expr
    pattern: str
    regex: bool

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"{self.arg!r}.{'matches' if self.regex else 'like'}({self.pattern!r})"


@dataclass(frozen=True, eq=False, repr=False)
class Bin(Expr):
    arg: Expr
    width: int  # seconds

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"bin({self.arg!r}, {_format_duration(self.width)!r})"

    @property
    def output_name(self) -> str:
        return f"bin({self.arg.output_name}, {_format_duration(self.width)})"


@dataclass(frozen=True, eq=False, repr=False)
class Coalesce(Expr):
    arg: Expr
    default: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.arg, self.default)

    def __repr__(self) -> str:
        return f"{self.arg!r}.fill_null({self.default!r})"

    @property
    def output_name(self) -> str:
        return self.arg.output_name


@dataclass(frozen=True, eq=False, repr=False)
class IfElse(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.cond, self.then, self.otherwise)

    def __repr__(self) -> str:
        return f"when({self.cond!r}, {self.then!r}, {self.otherwise!r})"


@dataclass(frozen=True, eq=False, repr=False)
class NameOf(Expr):
    """protocol_name / service_name: a number's IANA name, a string."""

    kind: str  # "protocol" or "service"
    arg: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"{self.kind}_name({self.arg!r})"

    @property
    def output_name(self) -> str:
        return f"{self.kind}_name({self.arg.output_name})"


@dataclass(frozen=True, eq=False, repr=False)
class Alias(Expr):
    arg: Expr
    name: str

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def __repr__(self) -> str:
        return f"{self.arg!r}.alias({self.name!r})"

    @property
    def output_name(self) -> str:
        return self.name


# ---- constructors ----------------------------------------------------------
def col(name: str) -> Expr:
    """The column ``name``.

    Example:
        >>> import vpcflow as vf
        >>> vf.col("bytes") / vf.col("packets") > 1000
        ((col("bytes") / col("packets")) > 1000)
    """
    if not isinstance(name, str) or not name:
        raise QueryError(f"a column name must be a non-empty string, not {name!r}")
    return Col(name)


def lit(value: Scalar) -> Expr:
    """A literal value (int, float, bool, str or None)."""
    return Lit(value)


def bin(column: str | Expr, width: str | int) -> Expr:  # noqa: A001 - the DSL's name
    """Time buckets: ``column`` (seconds) floored to multiples of ``width``.

    Example:
        >>> import vpcflow as vf
        >>> vf.bin("start", "15m")
        bin(col("start"), '15m')
    """
    return Bin(_as_expr(column), parse_duration(width))


def in_subnet(column: str | Expr, *cidrs: str) -> Expr:
    """True where the address ``column`` lies in any of ``cidrs``.

    Example:
        >>> import vpcflow as vf
        >>> vf.in_subnet("srcaddr", "10.0.0.0/8", "fd00::/8")
        col("srcaddr").in_subnet('10.0.0.0/8', 'fd00::/8')
    """
    return _as_expr(column).in_subnet(*cidrs)


def protocol_name(column: str | Expr) -> Expr:
    """The IANA keyword of an IP protocol number column (6 -> ``"TCP"``)."""
    return NameOf("protocol", _as_expr(column))


def service_name(column: str | Expr) -> Expr:
    """The IANA service name of a port column (443 -> ``"https"``)."""
    return NameOf("service", _as_expr(column))


def when(condition: Expr, then: Any, otherwise: Any = None) -> Expr:
    """``then`` where ``condition`` is true, else ``otherwise`` (SQL CASE WHEN)."""
    return IfElse(condition, _wrap(then), _wrap(otherwise))


def _as_expr(c: str | Expr) -> Expr:
    return Col(c) if isinstance(c, str) else c


# ===================================================================
# Aggregates
# ===================================================================
@dataclass(frozen=True, eq=False, repr=False)
class Agg:
    """An aggregate: a function of the package, named with ``.alias()``.

    ``op`` is one of count, count_all, sum, min, max, avg, stddev,
    stddev_pop, variance, corr, count_distinct, approx_count_distinct,
    earliest, latest.
    """

    op: str
    args: tuple = ()
    name: str | None = None

    def alias(self, name: str) -> "Agg":
        """The same aggregate, with the result column called ``name``."""
        return Agg(self.op, self.args, name)

    @property
    def output_name(self) -> str:
        if self.name:
            return self.name
        if self.op == "count_all":
            return "count"
        inner = ", ".join(a.output_name for a in self.args)
        return f"{self.op}({inner})"

    def columns(self) -> set[str]:
        out: set[str] = set()
        for a in self.args:
            out |= a.columns()
        return out

    def __repr__(self) -> str:
        if self.op == "count_all":
            s = "count()"
        else:
            s = f"{self.op}({', '.join(repr(a) for a in self.args)})"
        return s + (f".alias({self.name!r})" if self.name else "")

    def __bool__(self) -> bool:
        raise TypeError("an aggregate has no truth value")


def _agg(op: str, *cols: str | Expr) -> Agg:
    return Agg(op, tuple(_as_expr(c) for c in cols))


def count(column: str | Expr | None = None) -> Agg:
    """``count()``: rows; ``count(x)``: non-null values of x."""
    return Agg("count_all") if column is None else _agg("count", column)


def count_distinct(column: str | Expr, *, approx: bool = False) -> Agg:
    """Distinct non-null values: exact, or a HyperLogLog estimate with ``approx=True`` (about 1.6% error)."""
    return _agg("approx_count_distinct" if approx else "count_distinct", column)


def sum(column: str | Expr) -> Agg:  # noqa: A001
    """Sum of the non-null values (null when there are none)."""
    return _agg("sum", column)


def min(column: str | Expr) -> Agg:  # noqa: A001
    """Smallest non-null value."""
    return _agg("min", column)


def max(column: str | Expr) -> Agg:  # noqa: A001
    """Largest non-null value."""
    return _agg("max", column)


def avg(column: str | Expr) -> Agg:
    """Mean of the non-null values."""
    return _agg("avg", column)


mean = avg


def stddev(column: str | Expr) -> Agg:
    """Sample standard deviation (null below two values)."""
    return _agg("stddev", column)


def stddev_pop(column: str | Expr) -> Agg:
    """Population standard deviation."""
    return _agg("stddev_pop", column)


def variance(column: str | Expr) -> Agg:
    """Sample variance."""
    return _agg("variance", column)


def corr(x: str | Expr, y: str | Expr) -> Agg:
    """Pearson correlation of x and y over the rows where both are non-null."""
    return _agg("corr", x, y)


def earliest(column: str | Expr, by: str | Expr = "start") -> Agg:
    """The value of ``column`` in the row with the smallest ``by`` (default ``start``); ties: the first row."""
    return _agg("earliest", column, by)


def latest(column: str | Expr, by: str | Expr = "start") -> Agg:
    """The value of ``column`` in the row with the largest ``by`` (default ``start``); ties: the first row."""
    return _agg("latest", column, by)


# ===================================================================
# Durations and CIDRs
# ===================================================================
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "w": 604800}
_DUR = re.compile(r"^\s*(\d+)\s*([a-z]+)?\s*$")


def parse_duration(width: str | int) -> int:
    """Seconds in a duration: ``"15m"`` -> 900, ``"1h"`` -> 3600, ``90`` -> 90.

    Raises:
        QueryError: for anything that is not a positive whole duration.

    Example:
        >>> parse_duration("15m"), parse_duration("2h"), parse_duration("1d")
        (900, 7200, 86400)
    """
    if isinstance(width, bool) or not isinstance(width, (int, str)):
        raise QueryError(f"bad duration {width!r}: give seconds or a string like '15m'")
    if isinstance(width, int):
        secs = width
    else:
        m = _DUR.match(width.lower())
        if not m or (m.group(2) or "s") not in _UNITS:
            raise QueryError(f"bad duration {width!r}: expected a number and a unit (s, m, h, d, w), like '15m'")
        secs = int(m.group(1)) * _UNITS[m.group(2) or "s"]
    if secs <= 0:
        raise QueryError(f"bad duration {width!r}: must be positive")
    return secs


def _format_duration(secs: int) -> str:
    for unit, n in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if secs % n == 0:
            return f"{secs // n}{unit}"
    return f"{secs}s"


def parse_cidr(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IPv4 or IPv6 network from CIDR text (host bits allowed: ``10.1.2.3/8`` is ``10.0.0.0/8``).

    Raises:
        QueryError: naming the text when it is not a CIDR block.
    """
    if not isinstance(cidr, str):
        raise QueryError(f"bad CIDR {cidr!r}: expected text like '10.0.0.0/8'")
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError as e:
        raise QueryError(f"bad CIDR {cidr!r}: {e}") from None


def is_agg(x: Any) -> bool:
    return isinstance(x, Agg)


def as_exprs(items: Sequence[str | Expr]) -> list[Expr]:
    """Names or expressions as expressions."""
    out = []
    for it in items:
        if isinstance(it, Agg):
            raise QueryError(f"{it!r} is an aggregate: use it in .agg()")
        if not isinstance(it, (str, Expr)):
            raise QueryError(f"expected a column name or expression, not {type(it).__name__}")
        out.append(_as_expr(it))
    return out
