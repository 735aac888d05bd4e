"""Compiling expressions against a Table into programs for the C kernels.

The kernels (csrc/exec, wrapped by :mod:`vpcflow._exec`) evaluate postfix
programs over column views.  This module turns an :class:`~vpcflow.expr.Expr`
into such a program, doing per-dictionary-entry work here, never per-row
work:

* a predicate on a string or address column (``==``, ``isin``, ``like``,
  ``in_subnet``, text ordering) is evaluated once per dictionary entry into a
  lookup table; the kernel then does one gather per row (``lut[code]``);
* ``protocol_name(x) == "TCP"`` becomes ``x IN (6)``;
* comparing two dictionary columns ranks both dictionaries into one sorted
  order and compares the ranks as integers.

Derived columns (ranks, IANA names) are added to the column list the program
indexes; :class:`Compiler` keeps that list.
"""
from __future__ import annotations

import numpy as np

from . import _core
from . import expr as E
from .errors import QueryError
from .table import DICT_TYPES, Column, Table

__all__ = ["Compiler", "KIND_BOOL", "KIND_INT", "KIND_FLOAT", "KIND_DICT"]

KIND_BOOL, KIND_INT, KIND_FLOAT, KIND_DICT = "bool", "int", "float", "dict"
_NUMERIC = (KIND_BOOL, KIND_INT, KIND_FLOAT, "null")
_CMP = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div", "//": "idiv", "%": "mod"}
_NULL_RESULT = 2  # a lookup table entry that means null


def _kind_of_type(t: str) -> str:
    if t in DICT_TYPES:
        return KIND_DICT
    if t.startswith("float"):
        return KIND_FLOAT
    return KIND_INT


class Compiler:
    """Compiles expressions over one table; collects the columns programs use.

    Example:
        >>> import vpcflow as vf
        >>> t = vf.parse_text("2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 3 120 10 20 REJECT OK\\n")
        >>> c = Compiler(t)
        >>> prog = c.program(vf.col("action") == "REJECT")
        >>> [op[0] for op in prog], len(c.columns)
        (['col', 'lut'], 1)
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns: list[Column] = []
        self._index: dict[object, int] = {}

    # -- the column list -------------------------------------------------
    def _add(self, key: object, column: Column) -> int:
        if key not in self._index:
            self._index[key] = len(self.columns)
            self.columns.append(column)
        return self._index[key]

    def column(self, name: str) -> Column:
        if name not in self.table:
            raise QueryError(f"unknown column {name!r}; columns are: {', '.join(self.table.column_names)}")
        return self.table.column(name)

    def col_index(self, name: str) -> int:
        return self._add(("col", name), self.column(name))

    def kernel_table(self) -> Table:
        """The column list as a Table for the kernels (:mod:`vpcflow._exec`): programs index it by
        position; the columns are renamed ``c0``, ``c1``... (no copies) so that names never clash."""
        cols = self.columns or self.table.columns[:1]  # a program of literals still needs the row count
        return Table([c.renamed(f"c{i}") for i, c in enumerate(cols)])

    # -- kinds ----------------------------------------------------------------
    def kind(self, e: E.Expr) -> str:
        """The kind of value an expression gives: bool, int, float, dict, str (a text literal) or null."""
        if isinstance(e, E.Col):
            return _kind_of_type(self.column(e.name).type)
        if isinstance(e, E.Lit):
            v = e.value
            if v is None:
                return "null"
            if isinstance(v, bool):
                return KIND_BOOL
            if isinstance(v, int):
                return KIND_INT
            if isinstance(v, float):
                return KIND_FLOAT
            return "str"
        if isinstance(e, (E.Cmp, E.Logic, E.Not, E.IsNull, E.IsIn, E.InSubnet, E.Match)):
            return KIND_BOOL
        if isinstance(e, E.Arith):
            lk, rk = self._numeric(e.left, e.op), self._numeric(e.right, e.op)
            if e.op == "/" or KIND_FLOAT in (lk, rk):
                return KIND_FLOAT
            return KIND_INT
        if isinstance(e, E.Unary):
            k = self._numeric(e.arg, e.op)
            return KIND_INT if k in (KIND_BOOL, "null") else k
        if isinstance(e, E.Bin):
            if self.kind(e.arg) not in (KIND_INT, "null"):
                raise QueryError(f"bin() needs an integer time column, not {e.arg!r}")
            return KIND_INT
        if isinstance(e, E.IfElse) and _case_texts(e) is not None:
            self._case_conditions(e)
            return KIND_DICT
        if isinstance(e, (E.Coalesce, E.IfElse)):
            parts = (e.arg, e.default) if isinstance(e, E.Coalesce) else (e.then, e.otherwise)
            if isinstance(e, E.IfElse):
                self._want_bool(e.cond)
            kinds = [self._numeric(p, "when" if isinstance(e, E.IfElse) else "fill_null") for p in parts]
            if KIND_FLOAT in kinds:
                return KIND_FLOAT
            return KIND_BOOL if all(k in (KIND_BOOL, "null") for k in kinds) else KIND_INT
        if isinstance(e, E.NameOf):
            if self.kind(e.arg) not in (KIND_INT, "null"):
                raise QueryError(f"{e.kind}_name() needs an integer column, not {e.arg!r}")
            return KIND_DICT
        if isinstance(e, E.Alias):
            return self.kind(e.arg)
        raise QueryError(f"cannot evaluate {e!r}")

    def _case_conditions(self, e: E.Expr) -> None:
        if isinstance(e, E.IfElse):
            self._want_bool(e.cond)
            self._case_conditions(e.then)
            self._case_conditions(e.otherwise)

    def _numeric(self, e: E.Expr, op: str) -> str:
        k = self.kind(e)
        if k not in _NUMERIC:
            what = "text" if k == "str" else "a string/address column"
            raise QueryError(f"type mismatch: {op} needs numbers, but {e!r} is {what}")
        return k

    def _want_bool(self, e: E.Expr) -> None:
        k = self.kind(e)
        if k in (KIND_DICT, "str"):
            raise QueryError(f"type mismatch: {e!r} is not a condition")

    # -- programs ---------------------------------------------------------------
    def program(self, e: E.Expr) -> list[tuple]:
        """The postfix program computing e (numeric or boolean)."""
        prog: list[tuple] = []
        self._emit(e, prog)
        return prog

    def condition(self, e: E.Expr) -> list[tuple]:
        """The program of a filter condition (must be boolean or numeric)."""
        self._want_bool(e)
        return self.program(e)

    def _emit(self, e: E.Expr, prog: list[tuple]) -> None:
        if isinstance(e, E.Alias):
            return self._emit(e.arg, prog)
        if isinstance(e, E.Col):
            if self.kind(e) == KIND_DICT:
                raise QueryError(f"type mismatch: string column {e.name!r} used as a value; compare it instead")
            prog.append(("col", self.col_index(e.name)))
        elif isinstance(e, E.Lit):
            k = self.kind(e)
            if k == "str":
                raise QueryError(f"type mismatch: text {e.value!r} used where a number or condition is needed")
            prog.append({"null": ("null",), KIND_BOOL: ("bool", int(bool(e.value))), KIND_INT: ("int", e.value),
                         KIND_FLOAT: ("float", e.value)}[k])
        elif isinstance(e, E.Cmp):
            self._emit_cmp(e, prog)
        elif isinstance(e, E.Logic):
            self._want_bool(e.left)
            self._want_bool(e.right)
            self._emit(e.left, prog)
            self._emit(e.right, prog)
            prog.append(("and",) if e.op == "&" else ("or",))
        elif isinstance(e, E.Not):
            self._want_bool(e.arg)
            self._emit(e.arg, prog)
            prog.append(("not",))
        elif isinstance(e, E.IsNull):
            self._emit_any(e.arg, prog)
            prog.append(("is_not_null",) if e.negate else ("is_null",))
        elif isinstance(e, E.IsIn):
            self._emit_isin(e, prog)
        elif isinstance(e, (E.InSubnet, E.Match)):
            self._emit_lut(e.arg, self._dict_predicate(e), prog)
        elif isinstance(e, E.Arith):
            self.kind(e)  # type checks
            self._emit(e.left, prog)
            self._emit(e.right, prog)
            prog.append((_ARITH[e.op],))
        elif isinstance(e, E.Unary):
            self.kind(e)
            self._emit(e.arg, prog)
            prog.append((e.op,))
        elif isinstance(e, E.Bin):
            self.kind(e)
            self._emit(e.arg, prog)
            prog.append(("bin", e.width, 0))
        elif isinstance(e, E.Coalesce):
            self.kind(e)
            self._emit(e.arg, prog)
            self._emit(e.default, prog)
            prog.append(("coalesce",))
        elif isinstance(e, E.IfElse):
            if self.kind(e) == KIND_DICT:
                raise QueryError(f"type mismatch: {e!r} is text; group by it or select it")
            self._emit(e.cond, prog)
            self._emit(e.then, prog)
            self._emit(e.otherwise, prog)
            prog.append(("if",))
        elif isinstance(e, E.NameOf):
            raise QueryError(f"type mismatch: {e!r} is text; compare it (== 'TCP') or group by it")
        else:
            raise QueryError(f"cannot evaluate {e!r}")

    def _emit_any(self, e: E.Expr, prog: list[tuple]) -> None:
        """Any expression, dictionary columns included (as codes, for is_null)."""
        if isinstance(e, E.Alias):
            e = e.arg
        if isinstance(e, E.Col) and self.kind(e) == KIND_DICT:
            prog.append(("col", self.col_index(e.name)))
        elif isinstance(e, E.NameOf):
            self._emit_any(e.arg, prog)  # a name is null exactly where its number is
        else:
            self._emit(e, prog)

    def _emit_lut(self, arg: E.Expr, lut: np.ndarray, prog: list[tuple], null_result: int = _NULL_RESULT) -> None:
        if isinstance(arg, E.Alias):
            arg = arg.arg
        assert isinstance(arg, E.Col)
        prog.append(("col", self.col_index(arg.name)))
        prog.append(("lut", np.ascontiguousarray(lut, dtype=np.uint8), null_result))

    # -- comparisons ------------------------------------------------------------
    def _emit_cmp(self, e: E.Cmp, prog: list[tuple]) -> None:
        left, right, op = _strip(e.left), _strip(e.right), e.op
        lk, rk = self.kind(left), self.kind(right)
        if lk == "str" and rk in (KIND_DICT,):  # "x" == col: flip
            left, right, lk, rk = right, left, rk, lk
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if lk == KIND_DICT or rk == KIND_DICT:
            if rk == "str":
                assert isinstance(right, E.Lit)  # kind() says "str" of a text literal only
                if isinstance(left, E.NameOf):
                    return self._emit_name_cmp(left, op, str(right.value), prog)
                return self._emit_lut(left, self._dict_cmp_lut(left, op, str(right.value)), prog)
            if rk == "null" or lk == "null":
                prog.append(("null",))
                return
            if lk == KIND_DICT and rk == KIND_DICT:
                a, b = self._ranked_pair(left, right)
                prog.extend([("col", a), ("col", b), (_CMP[op],)])
                return
            raise QueryError(f"type mismatch: cannot compare {e.left!r} with {e.right!r} (text with a number)")
        if "str" in (lk, rk):
            raise QueryError(f"type mismatch: cannot compare {e.left!r} with {e.right!r} (a number with text)")
        self._emit(left, prog)
        self._emit(right, prog)
        prog.append((_CMP[op],))

    def _dict_values(self, c: Column) -> np.ndarray:
        return c.dictionary

    def _dict_cmp_lut(self, arg: E.Expr, op: str, text: str) -> np.ndarray:
        if not isinstance(arg, E.Col):
            raise QueryError(f"cannot compare {arg!r} with text")
        c = self.column(arg.name)
        if op in ("==", "!=") and c.type == "address":
            eq = _address_eq_lut(c, [text], arg.name)
        elif op in ("==", "!=") and c.type == "binary":
            eq = np.array([v == text.encode() for v in c.dictionary], dtype=bool)
        elif op in ("==", "!="):
            eq = np.asarray(c.dictionary == text, dtype=bool) if len(c.dictionary) else np.zeros(0, bool)
        else:
            d = c.dictionary
            if c.type == "binary":
                d = np.array([v.decode("utf-8", "replace") for v in d], dtype=object)
            cmp = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]
            return cmp(d.astype(str), text) if len(d) else np.zeros(0, bool)
        return ~eq if op == "!=" else eq

    def _emit_name_cmp(self, e: E.NameOf, op: str, text: str, prog: list[tuple]) -> None:
        if op not in ("==", "!="):
            raise QueryError(f"{e!r} {op} {text!r}: names compare with == and != only")
        self._emit(e.arg, prog)
        prog.append(("in", _numbers_named(e.kind, [text])))
        if op == "!=":
            prog.append(("not",))

    def _ranked_pair(self, a: E.Expr, b: E.Expr) -> tuple[int, int]:
        """Two dictionary columns as integer ranks in one sorted order of their texts."""
        ca, cb = self._dict_column(a), self._dict_column(b)
        da, db = ca.dictionary.astype(str), cb.dictionary.astype(str)
        union = np.unique(np.concatenate([da, db]))
        out = []
        for c, d in ((ca, da), (cb, db)):
            ranks = np.searchsorted(union, d).astype(np.int64)
            codes = c.codes
            valid = codes >= 0
            vals = np.where(valid, ranks[np.where(valid, codes, 0)] if len(ranks) else 0, 0).astype(np.int64)
            col = Column(c.name, "int64", vals, None if c.null_count == 0 else valid)
            out.append(self._add(("rank", id(c), id(union)), col))
        return out[0], out[1]

    def _dict_column(self, e: E.Expr) -> Column:
        if isinstance(e, E.Col):
            return self.column(e.name)
        if isinstance(e, E.NameOf):
            return self.materialize(e)
        raise QueryError(f"cannot compare {e!r}")

    # -- isin ------------------------------------------------------------------
    def _emit_isin(self, e: E.IsIn, prog: list[tuple]) -> None:
        arg = _strip(e.arg)
        k = self.kind(arg)
        texts = [v for v in e.values if isinstance(v, str)]
        nums = [v for v in e.values if not isinstance(v, str)]
        if k == KIND_DICT:
            if nums:
                raise QueryError(f"type mismatch: {e!r} mixes a string column with numbers")
            if isinstance(arg, E.NameOf):
                self._emit(arg.arg, prog)
                prog.append(("in", _numbers_named(arg.kind, texts)))
                return
            if not isinstance(arg, E.Col):  # a when() giving texts
                raise QueryError(f"cannot compare {arg!r} with text")
            c = self.column(arg.name)
            if c.type == "address":
                lut = _address_eq_lut(c, texts, c.name)
            elif c.type == "binary":
                want = {t.encode() for t in texts}
                lut = np.array([v in want for v in c.dictionary], dtype=bool)
            else:
                lut = np.isin(c.dictionary, np.array(texts, dtype=object)) if len(c.dictionary) else np.zeros(0, bool)
            return self._emit_lut(arg, lut, prog)
        if texts:
            raise QueryError(f"type mismatch: {e!r} compares a number with text")
        self._numeric(arg, "isin")
        if not nums:
            prog.append(("bool", 0))
            # a null value is still null
            self._emit(arg, prog)
            prog.extend([("is_null",), ("not",), ("and",)])
            return
        whole = [int(v) for v in nums if float(v).is_integer()]
        if k == KIND_FLOAT and len(whole) != len(nums):
            # non-integer literals against floats: OR of equalities
            first = True
            for v in nums:
                self._emit(arg, prog)
                prog.append(("float", float(v)))
                prog.append(("eq",))
                if not first:
                    prog.append(("or",))
                first = False
            return
        self._emit(arg, prog)
        prog.append(("in", np.unique(np.array(whole, dtype=np.int64))))

    # -- predicates evaluated per dictionary entry --------------------------------
    def _dict_predicate(self, e: E.InSubnet | E.Match) -> np.ndarray:
        arg = _strip(e.arg)
        if self.kind(arg) != KIND_DICT or not isinstance(arg, E.Col):
            what = "in_subnet()" if isinstance(e, E.InSubnet) else "like"
            raise QueryError(f"type mismatch: {what} needs an address or string column, not {e.arg!r}")
        c = self.column(arg.name)
        if isinstance(e, E.InSubnet):
            return _subnet_lut(c, e.networks)
        d = c.dictionary
        if c.type == "binary":
            d = np.array([v.decode("utf-8", "replace") for v in d], dtype=object)
        if e.regex:
            import re

            rx = re.compile(e.pattern)
            return np.fromiter((rx.search(s) is not None for s in d), dtype=bool, count=len(d))
        return np.fromiter((e.pattern in s for s in d), dtype=bool, count=len(d))

    # -- materialising expressions as columns ------------------------------------------
    def materialize(self, e: E.Expr, name: str | None = None, evaluate=None) -> Column:
        """The expression's values as a Column (a table column as it is; names as a dictionary column).

        ``evaluate(compiler, program)`` runs a numeric program and returns
        ``(values, valid, kind)``; the query layer passes the C kernel.
        """
        name = name or e.output_name
        inner = _strip(e)
        if isinstance(inner, E.Col):
            c = self.column(inner.name)
            if name == c.name:
                return c
            return Column(name, c.type, c._data, c._valid, c._dict, c.null_count, c.logical)
        if isinstance(inner, E.NameOf):
            return self._names_column(inner, name, evaluate)
        if isinstance(inner, E.IfElse) and _case_texts(inner) is not None:
            return self._case_column(inner, name, evaluate)
        kind = self.kind(inner)
        if kind == KIND_DICT:
            raise QueryError(f"cannot compute {e!r} as a column")
        if evaluate is None:
            raise QueryError(f"{e!r} needs evaluating")
        values, valid, k = evaluate(self, self.program(inner))
        if k == KIND_BOOL:
            return Column(name, "bool", values.astype(bool), valid)
        return Column(name, "float64" if k == KIND_FLOAT else "int64", values, valid)

    def _case_column(self, e: E.IfElse, name: str, evaluate) -> Column:
        """when(...) with text results: evaluated as the index of each text, then a dictionary column."""
        texts = _case_texts(e) or []
        self.kind(e)
        values, valid, _ = evaluate(self, self.program(_case_indexed(e, texts)))
        codes = np.asarray(values).astype(np.int32)
        if valid is not None:
            codes[~valid] = -1
        return string_column(name, codes, texts)

    def _names_column(self, e: E.NameOf, name: str, evaluate) -> Column:
        arg = _strip(e.arg)
        if isinstance(arg, E.Col):
            src = self.column(arg.name)
            vals, valid = src.values, (None if src.null_count == 0 else src.valid)
        else:
            src = self.materialize(arg, evaluate=evaluate)
            vals, valid = src.values, (None if src.null_count == 0 else src.valid)
        return names_column(name, e.kind, vals, valid)


def names_column(name: str, kind: str, values: np.ndarray, valid: np.ndarray | None) -> Column:
    """A dictionary column of IANA names for integer values (protocol or service)."""
    from .names import protocol_names, service_names

    table = protocol_names() if kind == "protocol" else service_names()
    v = np.asarray(values).astype(np.int64, copy=False)
    ok = np.ones(len(v), dtype=bool) if valid is None else valid
    inside = ok & (v >= 0) & (v < len(table))
    # distinct numbers present (one pass over a table-sized histogram, or unique for strays)
    present = np.zeros(len(table), dtype=bool)
    present[v[inside]] = True
    stray = np.unique(v[ok & ~inside]) if not inside[ok].all() else np.zeros(0, np.int64)
    numbers = np.concatenate([np.flatnonzero(present), stray]).astype(np.int64)
    texts = [str(table[n]) if 0 <= n < len(table) else str(int(n)) for n in numbers]
    uniq, inv = np.unique(np.array(texts, dtype=object), return_inverse=True)
    code_of_number_in = np.full(len(table), -1, dtype=np.int32)
    npresent = int(present.sum())
    code_of_number_in[numbers[:npresent]] = inv[:npresent]
    codes = np.full(len(v), -1, dtype=np.int32)
    codes[inside] = code_of_number_in[v[inside]]
    if len(stray):
        pos = np.searchsorted(stray, v[ok & ~inside])
        codes[ok & ~inside] = inv[npresent:][pos]
    return string_column(name, codes, [str(u) for u in uniq])


def string_column(name: str, codes: np.ndarray, texts: list[str]) -> Column:
    """A string column from int32 codes (-1 null) into ``texts``."""
    data = "".join(texts).encode()
    offs = np.zeros(len(texts) + 1, dtype=np.int64)
    if texts:
        offs[1:] = np.cumsum([len(t.encode()) for t in texts])
    return Column(name, "string", np.ascontiguousarray(codes, dtype=np.int32), None, ("string", offs, data))


def _case_leaves(e: E.Expr) -> list[E.Expr]:
    if isinstance(e, E.IfElse):
        return _case_leaves(e.then) + _case_leaves(e.otherwise)
    return [e]


def _case_texts(e: E.IfElse) -> list[str] | None:
    """The distinct texts of a when() whose results are all text (or null), else None."""
    leaves = _case_leaves(e)
    if not any(isinstance(x, E.Lit) and isinstance(x.value, str) for x in leaves):
        return None
    texts: list[str] = []
    for x in leaves:
        if not (isinstance(x, E.Lit) and (x.value is None or isinstance(x.value, str))):
            raise QueryError(f"when() mixes text and other values: {e!r}")
        if x.value is not None and x.value not in texts:
            texts.append(x.value)
    return texts


def _case_indexed(e: E.Expr, texts: list[str]) -> E.Expr:
    if isinstance(e, E.IfElse):
        return E.IfElse(e.cond, _case_indexed(e.then, texts), _case_indexed(e.otherwise, texts))
    assert isinstance(e, E.Lit) and (e.value is None or isinstance(e.value, str))  # _case_texts checked
    return E.Lit(None if e.value is None else texts.index(e.value))


def _numbers_named(kind: str, texts: list[str]) -> np.ndarray:
    """Every number whose IANA name (or decimal text) is one of texts."""
    from .names import protocol_names, service_names

    table = protocol_names() if kind == "protocol" else service_names()
    want = set(texts)
    hits = {i for i, n in enumerate(table) if n in want}
    for t in texts:
        if t.lstrip("-").isdigit():
            hits.add(int(t))
    return np.array(sorted(hits), dtype=np.int64)


def _strip(e: E.Expr) -> E.Expr:
    while isinstance(e, E.Alias):
        e = e.arg
    return e


def canonical_address(text: str) -> str | None:
    """The canonical text of an IP address (dotted quad, RFC 5952), or None if it is not one."""
    got = _core.parse_addr(text.strip().encode())
    if got is None:
        return None
    addr, fam = got
    return str(_core.format_addrs(np.frombuffer(addr, dtype=np.uint8), np.array([fam], dtype=np.uint8))[0])


def _parse_address(text: str, column: str) -> tuple[bytes, int]:
    got = _core.parse_addr(text.strip().encode())
    if got is None:
        raise QueryError(f"{text!r} is not an IP address (comparing with address column {column!r})")
    return got


def _address_eq_lut(c: Column, texts: list[str], column: str) -> np.ndarray:
    addrs, fams = c.address_bytes
    lut = np.zeros(len(fams), dtype=bool)
    for t in texts:
        a, fam = _parse_address(t, column)
        lut |= (fams == fam) & (addrs == np.frombuffer(a, dtype=np.uint8)).all(axis=1)
    return lut


def _subnet_lut(c: Column, networks: tuple) -> np.ndarray:
    if c.type == "address":
        addrs, fams = c.address_bytes
    elif c.type == "string":
        parsed = [_core.parse_addr(s.encode()) if s else None for s in c.dictionary]
        addrs = np.array([p[0] if p else bytes(16) for p in parsed], dtype="S16").view(np.uint8).reshape(-1, 16)
        fams = np.array([p[1] if p else 0 for p in parsed], dtype=np.uint8)
    else:
        raise QueryError(f"type mismatch: in_subnet() needs an address column, not {c.type} column {c.name!r}")
    lut = np.zeros(len(fams), dtype=bool)
    v4 = fams == 4
    if any(net.version == 4 for net in networks) and v4.any():
        # IPv4 networks on the last 4 bytes as big-endian uint32: one compare per entry and network
        low = np.ascontiguousarray(addrs[:, 12:16]).view(">u4").ravel().astype(np.uint32)
    for net in networks:
        if net.version == 4:
            if v4.any():
                mask4 = np.uint32((0xFFFFFFFF << (32 - net.prefixlen)) & 0xFFFFFFFF)
                lut |= v4 & ((low & mask4) == np.uint32(int(net.network_address) & int(mask4)))
            continue
        net_bytes = np.frombuffer(net.network_address.packed, dtype=np.uint8)
        mask = np.frombuffer(((1 << 128) - (1 << (128 - net.prefixlen))).to_bytes(16, "big"), dtype=np.uint8)
        lut |= (fams == 6) & ((addrs & mask) == (net_bytes & mask)).all(axis=1)
    return lut
