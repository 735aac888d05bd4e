"""Pipe-string queries in the style of CloudWatch Logs Insights.

::

    filter action = "REJECT" and dstport in [22, 3389]
      | stats sum(packets) as packets, count(*) as flows by srcaddr
      | sort packets desc
      | limit 10

compiles to the same plan as the Python API (:mod:`vpcflow.query`).

Commands:
    ``fields a, b, bytes / packets as rate``  choose (and compute) the columns shown
    ``display a, b``                          the same, applied at the end
    ``filter <condition>``                    keep rows where the condition is true
    ``stats <agg> [as name], ... [by <key> [as name], ...]``
    ``sort <expr> [asc|desc], ...``           (ascending by default)
    ``limit <n>``

Conditions: ``and``, ``or``, ``not``, ``= != < <= > >=`` (``==`` too),
``x in [1, 2]``, ``x not in [...]``, ``x like "text"`` (contains),
``x like /regex/``, ``x is null``, ``x is not null``, ``ispresent(x)``,
``isIpInSubnet(srcaddr, "10.0.0.0/8")`` (also ``isIpv4InSubnet`` /
``isIpv6InSubnet``), arithmetic ``+ - * / %``, parentheses.

Aggregates: ``count(*)``, ``count(x)``, ``count_distinct(x)``,
``approx_count_distinct(x)``, ``sum``, ``min``, ``max``, ``avg``,
``stddev``, ``variance``, ``corr(x, y)``, ``earliest(x)``, ``latest(x)``.
Group keys may be any expression and ``bin(15m)`` (the record start time in
15-minute buckets; ``bin(start, 1h)`` names the time column).  Functions
``protocol_name(x)``, ``service_name(x)`` and ``abs(x)`` work anywhere.
Column names with hyphens are written with back-quotes: ```log-status```
(or with underscores, as the columns are named).

A syntax error raises :class:`~vpcflow.QueryError` whose ``position`` is the
character offset of the problem; its message shows the query with a caret
under that position and says what was expected.

Example:
    >>> from vpcflow.pipe import parse
    >>> q = parse('filter action = "REJECT" | stats sum(packets) as packets by srcaddr | sort packets desc | limit 10')
    >>> [type(s).__name__ for s in q]
    ['filter', 'stats', 'sort', 'limit']
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import expr as E
from .errors import QueryError

__all__ = ["parse", "apply", "Command"]


# ===================================================================
# Tokens
# ===================================================================
@dataclass(frozen=True)
class Tok:
    kind: str   # name, string, regex, number, duration, op, end
    text: str
    pos: int
    value: Any = None


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<float>\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<duration>\d+[A-Za-z]+)
  | (?P<number>\d+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<bquote>`[^`]*`)
  | (?P<name>[A-Za-z_@][A-Za-z0-9_.@]*)
  | (?P<op>==|!=|<=|>=|<>|[=<>+\-*/%(),\[\]|])
""", re.X)


def _syntax_error(text: str, pos: int, message: str) -> QueryError:
    caret = " " * pos + "^"
    return QueryError(f"syntax error at position {pos}: {message}\n  {text}\n  {caret}", position=pos, query=text)


def tokenize(text: str) -> list[Tok]:
    """The tokens of a query; regex literals ``/.../`` are recognised after ``like``."""
    toks: list[Tok] = []
    i = 0
    while i < len(text):
        if text[i] == "/" and toks and toks[-1].kind == "name" and toks[-1].text.lower() == "like":
            j = i + 1
            while j < len(text) and text[j] != "/":
                j += 2 if text[j] == "\\" else 1
            if j >= len(text):
                raise _syntax_error(text, i, "unterminated regular expression: expected a closing '/'")
            toks.append(Tok("regex", text[i:j + 1], i, text[i + 1:j].replace("\\/", "/")))
            i = j + 1
            continue
        m = _TOKEN.match(text, i)
        if not m:
            if text[i] in "\"'":
                raise _syntax_error(text, i, "unterminated string: expected a closing quote")
            raise _syntax_error(text, i, f"unexpected character {text[i]!r}")
        kind = m.lastgroup
        s = m.group()
        if kind == "string":
            toks.append(Tok("string", s, i, _unquote(s)))
        elif kind == "bquote":
            toks.append(Tok("name", s, i, s[1:-1].replace("-", "_")))
        elif kind == "name":
            toks.append(Tok("name", s, i, s))
        elif kind == "number":
            toks.append(Tok("number", s, i, int(s)))
        elif kind == "float":
            toks.append(Tok("number", s, i, float(s)))
        elif kind == "duration":
            try:
                toks.append(Tok("duration", s, i, E.parse_duration(s)))
            except QueryError:
                raise _syntax_error(text, i, f"bad duration {s!r}: expected a number and a unit (s, m, h, d, w), "
                                    "like 15m") from None
        elif kind == "op":
            toks.append(Tok("op", "!=" if s == "<>" else s, i))
        i = m.end()
    toks.append(Tok("end", "", len(text)))
    return toks


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# ===================================================================
# Commands
# ===================================================================
@dataclass
class Command:
    pos: int


@dataclass
class fields(Command):  # noqa: N801 - named as the command
    items: list = field(default_factory=list)
    final: bool = False  # display


@dataclass
class filter(Command):  # noqa: N801,A001
    cond: Any = None


@dataclass
class stats(Command):  # noqa: N801
    aggs: list = field(default_factory=list)
    keys: list = field(default_factory=list)


@dataclass
class sort(Command):  # noqa: N801
    keys: list = field(default_factory=list)  # (expr, descending)


@dataclass
class limit(Command):  # noqa: N801
    n: int = 0


# the aggregate functions; count and approx_count_distinct are built by Parser.agg itself
_AGGS: dict[str, Callable[..., E.Agg] | None] = {
    "count": None, "count_distinct": E.count_distinct, "approx_count_distinct": None, "sum": E.sum,
    "min": E.min, "max": E.max, "avg": E.avg, "mean": E.avg, "stddev": E.stddev, "stddev_pop": E.stddev_pop,
    "variance": E.variance, "corr": E.corr, "earliest": E.earliest, "latest": E.latest,
}
_AGG_ARITY = {"corr": 2}
_KEYWORDS = {"and", "or", "not", "in", "like", "is", "null", "true", "false", "as", "by", "asc", "desc"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    # -- cursor ----------------------------------------------------------
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def next(self) -> Tok:
        t = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.lower() in words

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def error(self, expected: str, tok: Tok | None = None) -> QueryError:
        t = tok or self.tok
        got = "the end of the query" if t.kind == "end" else repr(t.text)
        return _syntax_error(self.text, t.pos, f"expected {expected}, got {got}")

    def expect_op(self, op: str, what: str | None = None) -> Tok:
        if not self.is_op(op):
            raise self.error(what or repr(op))
        return self.next()

    def expect_word(self, word: str) -> Tok:
        if not self.is_word(word):
            raise self.error(repr(word))
        return self.next()

    # -- query --------------------------------------------------------------
    def query(self) -> list[Command]:
        cmds = [self.command()]
        while self.is_op("|"):
            self.next()
            cmds.append(self.command())
        if self.tok.kind != "end":
            raise self.error("'|' and another command, or the end of the query")
        return cmds

    def command(self) -> Command:
        t = self.tok
        if t.kind != "name":
            raise self.error("a command (fields, display, filter, stats, sort, limit)")
        word = t.text.lower()
        self.next()
        if word in ("fields", "display"):
            return fields(t.pos, self.item_list("a field or expression"), word == "display")
        if word == "filter":
            return filter(t.pos, self.expr())
        if word == "stats":
            aggs = self.agg_list()
            keys = []
            if self.is_word("by"):
                self.next()
                keys = self.key_list()
            return stats(t.pos, aggs, keys)
        if word == "sort":
            order: list[tuple[E.Expr, bool]] = []
            while True:
                e = self.expr()
                desc = False
                if self.is_word("asc", "desc"):
                    desc = self.next().text.lower() == "desc"
                order.append((e, desc))
                if not self.is_op(","):
                    break
                self.next()
            return sort(t.pos, order)
        if word == "limit":
            n = self.tok
            if n.kind != "number" or not isinstance(n.value, int):
                raise self.error("a whole number of rows after 'limit'")
            self.next()
            return limit(t.pos, n.value)
        raise self.error("a command (fields, display, filter, stats, sort, limit)", t)

    def item_list(self, what: str) -> list[E.Expr]:
        items = []
        while True:
            if self.tok.kind == "end" or self.is_op("|"):
                raise self.error(what)
            e = self.expr()
            if self.is_word("as"):
                self.next()
                e = e.alias(self.name("a name after 'as'"))
            items.append(e)
            if not self.is_op(","):
                return items
            self.next()

    def name(self, what: str) -> str:
        t = self.tok
        if t.kind != "name" or (t.text.lower() in _KEYWORDS and not t.text.startswith("`")):
            raise self.error(what)
        self.next()
        return str(t.value)

    def agg_list(self) -> list[E.Agg]:
        aggs = []
        while True:
            aggs.append(self.agg())
            if not self.is_op(","):
                return aggs
            self.next()

    def agg(self) -> E.Agg:
        t = self.tok
        if t.kind != "name" or t.text.lower() not in _AGGS:
            raise self.error("an aggregate such as count(*), sum(x), avg(x), count_distinct(x)")
        fn = t.text.lower()
        self.next()
        self.expect_op("(", f"'(' after {fn}")
        args: list[E.Expr] = []
        if fn == "count" and self.is_op("*"):
            self.next()
        elif not self.is_op(")"):
            args.append(self.expr())
            while self.is_op(","):
                self.next()
                args.append(self.expr())
        self.expect_op(")", "')' to close the aggregate's arguments")
        want = _AGG_ARITY.get(fn, 1)
        if fn == "count":
            if len(args) > 1:
                raise _syntax_error(self.text, t.pos, "count takes * or one field")
            a = E.count(args[0]) if args else E.count().alias("count(*)")  # named as Logs Insights names it
        else:
            if len(args) != want:
                raise _syntax_error(self.text, t.pos, f"{fn} takes {want} argument{'s' if want > 1 else ''}")
            if fn == "approx_count_distinct":
                a = E.count_distinct(args[0], approx=True)
            else:
                make = _AGGS[fn]
                assert make is not None  # None only for count and approx_count_distinct, handled above
                a = make(*args)
        if self.is_word("as"):
            self.next()
            a = a.alias(self.name("a name after 'as'"))
        return a

    def key_list(self) -> list[E.Expr]:
        keys = []
        while True:
            if self.is_word("bin") and self.toks[self.i + 1].text == "(":
                keys.append(self.bin_key())
            else:
                keys.append(self.expr())
            if self.is_word("as"):
                self.next()
                keys[-1] = keys[-1].alias(self.name("a name after 'as'"))
            if not self.is_op(","):
                return keys
            self.next()

    def bin_key(self) -> E.Expr:
        self.next()
        self.expect_op("(")
        target: E.Expr = E.col("start")
        if self.tok.kind == "name":
            target = E.col(self.name("a time column"))
            self.expect_op(",", "',' and a duration such as 15m")
        t = self.tok
        if t.kind == "duration":
            width = t.value
        elif t.kind == "number" and isinstance(t.value, int) and t.value > 0:
            width = t.value
        else:
            raise self.error("a duration such as 5m, 15m, 1h or 1d")
        self.next()
        self.expect_op(")", "')' after the bin duration")
        return E.Bin(target, width)

    # -- expressions ------------------------------------------------------------
    def expr(self) -> E.Expr:
        left = self.and_expr()
        while self.is_word("or"):
            self.next()
            left = left | self.and_expr()
        return left

    def and_expr(self) -> E.Expr:
        left = self.not_expr()
        while self.is_word("and"):
            self.next()
            left = left & self.not_expr()
        return left

    def not_expr(self) -> E.Expr:
        if self.is_word("not"):
            self.next()
            return ~self.not_expr()
        return self.comparison()

    def comparison(self) -> E.Expr:
        left = self.additive()
        if self.is_op("=", "==", "!=", "<", "<=", ">", ">="):
            op = self.next().text
            right = self.additive()
            return E.Cmp("==" if op == "=" else op, left, right)
        negate = False
        if self.is_word("not") and self.toks[self.i + 1].kind == "name" and \
                self.toks[self.i + 1].text.lower() in ("in", "like"):
            self.next()
            negate = True
        if self.is_word("in"):
            self.next()
            e = left.isin(self.literal_list())
            return ~e if negate else e
        if self.is_word("like"):
            self.next()
            t = self.tok
            if t.kind == "regex":
                self.next()
                e = left.matches(t.value)
            elif t.kind == "string":
                self.next()
                e = left.like(t.value)
            else:
                raise self.error('a "string" or /regex/ after like')
            return ~e if negate else e
        if negate:
            raise self.error("'in' or 'like' after 'not'")
        if self.is_word("is"):
            self.next()
            neg = False
            if self.is_word("not"):
                self.next()
                neg = True
            self.expect_word("null")
            return left.is_not_null() if neg else left.is_null()
        return left

    def literal_list(self) -> list:
        self.expect_op("[", "'[' to start a list")
        vals = []
        if not self.is_op("]"):
            while True:
                vals.append(self.literal("a number or string in the list"))
                if not self.is_op(","):
                    break
                self.next()
        self.expect_op("]", "',' or ']' in the list")
        return vals

    def literal(self, what: str) -> Any:
        neg = False
        if self.is_op("-"):
            self.next()
            neg = True
        t = self.tok
        if t.kind == "number":
            self.next()
            return -t.value if neg else t.value
        if t.kind == "string" and not neg:
            self.next()
            return t.value
        raise self.error(what)

    def additive(self) -> E.Expr:
        left = self.term()
        while self.is_op("+", "-"):
            op = self.next().text
            right = self.term()
            left = left + right if op == "+" else left - right
        return left

    def term(self) -> E.Expr:
        left = self.unary()
        while self.is_op("*", "/", "%"):
            op = self.next().text
            right = self.unary()
            left = left * right if op == "*" else (left / right if op == "/" else left % right)
        return left

    def unary(self) -> E.Expr:
        if self.is_op("-"):
            self.next()
            return -self.unary()
        return self.primary()

    def primary(self) -> E.Expr:
        t = self.tok
        if self.is_op("("):
            self.next()
            e = self.expr()
            self.expect_op(")", "')' to close the parenthesis")
            return e
        if t.kind == "number":
            self.next()
            return E.lit(t.value)
        if t.kind == "string":
            self.next()
            return E.lit(t.value)
        if t.kind == "name":
            word = t.text.lower()
            if word in ("true", "false"):
                self.next()
                return E.lit(word == "true")
            if word == "null":
                self.next()
                return E.lit(None)
            if word in _KEYWORDS:
                raise self.error("a field, number, string or function")
            self.next()
            if self.is_op("("):
                return self.function(t)
            return E.col(str(t.value).replace("-", "_"))
        raise self.error("a field, number, string or function")

    def function(self, name: Tok) -> E.Expr:
        fn = name.text.lower()
        self.expect_op("(")
        args: list[Any] = []
        if not self.is_op(")"):
            while True:
                args.append(self.expr())
                if not self.is_op(","):
                    break
                self.next()
        self.expect_op(")", "')' to close the function's arguments")

        def want(n: int) -> None:
            if len(args) != n:
                raise _syntax_error(self.text, name.pos, f"{name.text} takes {n} argument{'s' if n > 1 else ''}")

        if fn in ("isipinsubnet", "isipv4insubnet", "isipv6insubnet"):
            want(2)
            cidr = args[1]
            if not isinstance(cidr, E.Lit) or not isinstance(cidr.value, str):
                raise _syntax_error(self.text, name.pos, f"{name.text} takes a field and a \"CIDR\" string")
            net = E.parse_cidr(cidr.value)
            if (fn == "isipv4insubnet" and net.version != 4) or (fn == "isipv6insubnet" and net.version != 6):
                raise QueryError(f"{name.text}: {cidr.value!r} is not an IPv{fn[6]} block", position=name.pos,
                                 query=self.text)
            return args[0].in_subnet(cidr.value)
        if fn == "ispresent":
            want(1)
            return args[0].is_not_null()
        if fn == "abs":
            want(1)
            return abs(args[0])
        if fn in ("protocol_name", "service_name"):
            want(1)
            return E.NameOf(fn.split("_")[0], args[0])
        if fn in _AGGS:
            raise _syntax_error(self.text, name.pos, f"{name.text}() is an aggregate: use it in 'stats'")
        raise _syntax_error(self.text, name.pos, f"unknown function {name.text}(); functions are isIpInSubnet, "
                            "isIpv4InSubnet, isIpv6InSubnet, ispresent, abs, protocol_name, service_name")


def parse(text: str) -> list[Command]:
    """The commands of a pipe-string query (raises QueryError on a syntax error)."""
    if not isinstance(text, str):
        raise QueryError(f"a query must be text, not {type(text).__name__}")
    if not text.strip():
        raise _syntax_error(text, 0, "expected a command (fields, display, filter, stats, sort, limit), got nothing")
    return _Parser(text).query()


def apply(query: Any, text: str) -> Any:
    """Apply a pipe-string query to a :class:`~vpcflow.query.Query`, returning the new Query."""
    q = query
    display: list[E.Expr] | None = None
    for cmd in parse(text):
        if isinstance(cmd, fields):
            computed = [e for e in cmd.items if not isinstance(e, E.Col)]
            if computed and not cmd.final:
                q = q.with_columns(*computed)
            display = [E.col(e.output_name) if not isinstance(e, E.Col) and not cmd.final else e for e in cmd.items]
        elif isinstance(cmd, filter):
            q = q.filter(cmd.cond)
        elif isinstance(cmd, stats):
            q = q.group_by(*cmd.keys).agg(*cmd.aggs) if cmd.keys else q.agg(*cmd.aggs)
            display = None
        elif isinstance(cmd, sort):
            q = q.sort([k for k, _ in cmd.keys], descending=[d for _, d in cmd.keys])
        elif isinstance(cmd, limit):
            q = q.limit(cmd.n)
    if display is not None:
        q = q.select(*display)
    return q
