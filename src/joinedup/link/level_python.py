"""The comparison levels' SQL as Python: one compiled function per level, true exactly when DuckDB's CASE takes it.

The in-memory search index (search_index.py) scores a query against a few dozen candidates; DuckDB spends
~25 ms just planning the scoring query, whatever the row count, so the same level SQL is compiled once into
Python instead. Only the small SQL the comparisons use is understood (comparisons, AND/OR/NOT, IS NULL, + - *,
CAST AS INTEGER, and the functions in _FUNCS); anything else raises Unsupported and the caller keeps the SQL.
SQL's three-valued logic is kept: a CASE takes a level only when its condition is TRUE, and NOT(x) is TRUE only
when x is FALSE (not NULL), so each node compiles to "is TRUE" or "is FALSE" code, and values to code that gives
None for NULL.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Callable

import jellyfish


class Unsupported(ValueError):
    """SQL this compiler does not understand (the caller falls back to DuckDB)."""


def jaro_winkler(a: str | None, b: str | None) -> float | None:
    """DuckDB's jaro_winkler_similarity, bit for bit (its Winkler step is one fused multiply-add)."""
    if a is None or b is None:
        return None
    j = jellyfish.jaro_similarity(a, b)  # equal to DuckDB's jaro_similarity on every pair we checked
    if j <= 0.7:
        return j
    p = 0
    for x, y in zip(a[:4], b[:4]):
        if x != y:
            break
        p += 1
    if p == 0:
        return j
    # DuckDB computes j + (p * 0.1) * (1 - j) with one rounding (FMA); plain floats differ in the last bit,
    # which flips a ">= 0.9" on exact ties, so the sum is rounded once from exact rationals
    return float(Fraction(p * 0.1) * Fraction(1.0 - j) + Fraction(j))


def _nn(f: Callable[..., Any]) -> Callable[..., Any]:
    """f, but NULL (None) when any argument is NULL, as SQL functions are."""
    def g(*a: Any) -> Any:
        return None if any(x is None for x in a) else f(*a)
    return g


def _substr(s: str | None, start: int, length: int | None = None) -> str | None:
    if s is None:
        return None
    return s[start - 1:] if length is None else s[start - 1:start - 1 + length]


def _least(*a: Any) -> Any:  # DuckDB's least/greatest skip NULLs
    v = [x for x in a if x is not None]
    return min(v) if v else None


def _greatest(*a: Any) -> Any:
    v = [x for x in a if x is not None]
    return max(v) if v else None


def _list_filter(lst: list | None, pred: Callable[[Any], bool]) -> list | None:
    return None if lst is None else [t for t in lst if pred(t)]


def _list_contains(lst: list | None, v: Any) -> bool | None:
    return None if lst is None or v is None else v in lst


_FUNCS: dict[str, Callable[..., Any]] = {
    "jaro_winkler_similarity": jaro_winkler,
    "jaro_similarity": _nn(jellyfish.jaro_similarity),
    "levenshtein": _nn(jellyfish.levenshtein_distance),
    "damerau_levenshtein": _nn(jellyfish.damerau_levenshtein_distance),
    "len": _nn(len), "length": _nn(len), "array_length": _nn(len),
    "abs": _nn(abs), "least": _least, "greatest": _greatest,
    "substr": _substr, "substring": _substr,
    "list_filter": _list_filter, "list_contains": _list_contains,
}


def _cmp(op: str) -> tuple[Callable[[Any, Any], bool], Callable[[Any, Any], bool]]:
    import operator

    f = {"=": operator.eq, "<>": operator.ne, "!=": operator.ne, ">=": operator.ge, "<=": operator.le,
         ">": operator.gt, "<": operator.lt}[op]

    def true(a: Any, b: Any) -> bool:
        return a is not None and b is not None and f(a, b)

    def false(a: Any, b: Any) -> bool:
        return a is not None and b is not None and not f(a, b)
    return true, false


def _arith(op: str) -> Callable[[Any, Any], Any]:
    import operator

    f = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]
    return lambda a, b: None if a is None or b is None else f(a, b)


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


_TOKEN = re.compile(r"""\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|"(?P<qid>[^"]+)"|'(?P<str>(?:[^']|'')*)'
                        |(?P<op>>=|<=|<>|!=|=|>|<|\(|\)|,|\*|\+|-|:)|(?P<word>[A-Za-z_][A-Za-z0-9_]*))""", re.X)
_BOOL_OPS = {"AND", "OR", "NOT"}


def _tokens(sql: str) -> list[tuple[str, str]]:
    out, pos, sql = [], 0, sql.strip()
    while pos < len(sql):
        m = _TOKEN.match(sql, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"cannot read {sql[pos:pos + 20]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind).replace("''", "'") if kind == "str" else m.group(kind)))
        pos = m.end()
        while pos < len(sql) and sql[pos].isspace():
            pos += 1
    return out


class _Parser:
    """Recursive descent over the level SQL into tuples: ('and', a, b), ('cmp', op, a, b), ('col', side, name) ..."""

    def __init__(self, sql: str) -> None:
        self.t, self.i = _tokens(sql), 0

    def peek(self, k: int = 0) -> tuple[str, str] | None:
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def word(self, w: str, k: int = 0) -> bool:
        p = self.peek(k)
        return p is not None and p[0] == "word" and p[1].upper() == w

    def take(self, kind: str, val: str | None = None) -> str:
        p = self.peek()
        if p is None or p[0] != kind or (val is not None and p[1].upper() != val):
            raise Unsupported(f"expected {val or kind} at {p}")
        self.i += 1
        return p[1]

    def parse(self) -> tuple:
        n = self.expr()
        if self.peek() is not None:
            raise Unsupported(f"unexpected {self.peek()}")
        return n

    def expr(self) -> tuple:
        n = self.conj()
        while self.word("OR"):
            self.i += 1
            n = ("or", n, self.conj())
        return n

    def conj(self) -> tuple:
        n = self.neg()
        while self.word("AND"):
            self.i += 1
            n = ("and", n, self.neg())
        return n

    def neg(self) -> tuple:
        if self.word("NOT"):
            self.i += 1
            return ("not", self.neg())
        return self.comparison()

    def comparison(self) -> tuple:
        a = self.additive()
        p = self.peek()
        if p and p[0] == "op" and p[1] in ("=", "<>", "!=", ">=", "<=", ">", "<"):
            self.i += 1
            return ("cmp", p[1], a, self.additive())
        if self.word("IS"):
            self.i += 1
            neg = self.word("NOT")
            if neg:
                self.i += 1
            self.take("word", "NULL")
            return ("isnull", a, neg)
        return a

    def additive(self) -> tuple:
        n = self.term()
        while (p := self.peek()) and p[0] == "op" and p[1] in "+-":
            self.i += 1
            n = ("arith", p[1], n, self.term())
        return n

    def term(self) -> tuple:
        n = self.unary()
        while (p := self.peek()) and p == ("op", "*"):
            self.i += 1
            n = ("arith", "*", n, self.unary())
        return n

    def unary(self) -> tuple:
        if self.peek() == ("op", "-"):
            self.i += 1
            return ("arith", "-", ("lit", 0), self.unary())
        return self.primary()

    def primary(self) -> tuple:
        p = self.peek()
        if p is None:
            raise Unsupported("unexpected end")
        kind, v = p
        self.i += 1
        if kind == "num":
            return ("lit", float(v) if any(c in v for c in ".eE") else int(v))
        if kind == "str":
            return ("lit", v)
        if kind == "qid":
            m = re.fullmatch(r"([a-z0-9_]+)_([lr])", v)
            if not m:
                raise Unsupported(f"column {v!r} is not a pair column")
            return ("col", m[2], m[1])
        if kind == "op" and v == "(":
            n = self.expr()
            self.take("op", ")")
            return n
        if kind == "word":
            u = v.upper()
            if u == "NULL":
                return ("lit", None)
            if u == "CAST":
                self.take("op", "(")
                n = self.expr()
                self.take("word", "AS")
                typ = self.take("word").upper()
                self.take("op", ")")
                if typ not in ("INTEGER", "INT", "BIGINT"):
                    raise Unsupported(f"CAST AS {typ}")
                return ("cast_int", n)
            if u == "LAMBDA":
                var = self.take("word")
                self.take("op", ":")
                return ("lambda", var, self.expr())
            if self.peek() == ("op", "("):
                self.i += 1
                args = []
                if self.peek() != ("op", ")"):
                    args.append(self.expr())
                    while self.peek() == ("op", ","):
                        self.i += 1
                        args.append(self.expr())
                self.take("op", ")")
                if v.lower() not in _FUNCS:
                    raise Unsupported(f"function {v}")
                return ("call", v.lower(), args)
            if u in _BOOL_OPS:
                raise Unsupported(f"unexpected {v}")
            return ("var", v)
        raise Unsupported(f"unexpected {v!r}")


class _Compiler:
    """Tuples -> Python source over q (the query's features), r (a candidate's) and lambda variables."""

    def __init__(self) -> None:
        self.env: dict[str, Any] = {}
        self.vars: set[str] = set()

    def ref(self, obj: Any, stem: str) -> str:
        name = f"_{stem}{len(self.env)}"
        self.env[name] = obj
        return name

    def value(self, n: tuple) -> str:
        k = n[0]
        if k == "lit":
            return repr(n[1])
        if k == "col":
            return f"{'q' if n[1] == 'l' else 'r'}[{n[2]!r}]"
        if k == "var":
            if n[1] not in self.vars:
                raise Unsupported(f"unknown name {n[1]}")
            return n[1]
        if k == "arith":
            return f"{self.ref(_arith(n[1]), 'a')}({self.value(n[2])}, {self.value(n[3])})"
        if k == "cast_int":
            return f"{self.ref(_int, 'i')}({self.value(n[1])})"
        if k == "call":
            name, args = n[1], n[2]
            if name in ("substr", "substring"):
                if not all(a[0] == "lit" and isinstance(a[1], int) and a[1] > 0 for a in args[1:]) or len(args) not in (2, 3):
                    raise Unsupported("substr with a start or length that is not a positive literal")
            if name == "list_filter":
                if len(args) != 2 or args[1][0] != "lambda":
                    raise Unsupported("list_filter without a lambda")
                _, var, body = args[1]
                self.vars.add(var)
                try:
                    pred = f"(lambda {var}: {self.truth(body, True)})"
                finally:
                    self.vars.discard(var)
                return f"{self.ref(_list_filter, 'f')}({self.value(args[0])}, {pred})"
            return f"{self.ref(_FUNCS[name], 'f')}({', '.join(self.value(a) for a in args)})"
        if k in ("and", "or", "not", "cmp", "isnull"):
            # a condition used as a value: TRUE, FALSE or NULL
            return f"(True if {self.truth(n, True)} else (False if {self.truth(n, False)} else None))"
        raise Unsupported(f"cannot use {k} as a value")

    def truth(self, n: tuple, want: bool) -> str:
        """Source that is True exactly when the node is TRUE (want) or FALSE (not want); NULL gives False for both."""
        k = n[0]
        if k == "and":
            op = " and " if want else " or "
            return f"({self.truth(n[1], want)}{op}{self.truth(n[2], want)})"
        if k == "or":
            op = " or " if want else " and "
            return f"({self.truth(n[1], want)}{op}{self.truth(n[2], want)})"
        if k == "not":
            return self.truth(n[1], not want)
        if k == "cmp":
            t, f = _cmp(n[1])
            return f"{self.ref(t if want else f, 'c')}({self.value(n[2])}, {self.value(n[3])})"
        if k == "isnull":
            is_null = not n[2]
            return f"({self.value(n[1])} {'is' if is_null == want else 'is not'} None)"
        return f"({self.value(n)} is {want})"


def compile_condition(sql: str) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    """f(q, r): True exactly when the level's SQL condition is TRUE for query features q and candidate features r."""
    if sql.strip().upper() == "ELSE":
        return lambda q, r: True
    c = _Compiler()
    src = f"lambda q, r: {c.truth(_Parser(sql).parse(), True)}"
    return eval(compile(src, "<level>", "eval"), dict(c.env))  # noqa: S307 - our own generated source


def columns_of(sql: str) -> set[str]:
    """The feature columns a level's SQL reads (without the _l/_r suffix)."""
    return set(re.findall(r'"([a-z0-9_]+)_[lr]"', sql))
