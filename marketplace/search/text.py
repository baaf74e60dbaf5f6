"""Chinese text for the index: normalised, segmented with jieba, cleaned into tokens.

Segmentation uses jieba's algorithm and dictionary through jieba-rs (`rjieba`), the Rust port, which
segments about fifteen times faster than the pure-Python package with the same results. One
segmenter per process, built on first use with the market's own dictionary (`dictionary.txt`).

Documents are cut in *search mode* (every word plus the shorter dictionary words inside it:
锂离子电池 → 锂离子, 离子, 电池, 锂离子电池) so that a query for a part finds the whole. Queries are
cut in *precise mode*, and each query word also matches when all the shorter words inside it are
present, so a phrase the document side happened to cut differently is still found.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DICTIONARY = Path(__file__).with_name("dictionary.txt")

# Structured values (kind, region, TRL, field, …) are indexed as tokens too, so a ranked search
# with filters runs inside the full-text index. The prefix keeps them apart from any real word.
FILTER_PREFIX = "zz"


def filter_token(key: str, value) -> str:
    """zz + key + value, letters and digits only (both databases' parsers keep it whole)."""
    return FILTER_PREFIX + key + _SEPARATORS.sub("", str(value)).lower()


# Longest query the search box takes, in characters, and most words a query is cut into.
MAX_QUERY_LENGTH = 100
MAX_QUERY_TERMS = 12

# Function words that carry no meaning on their own: never indexed, never required by a query.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "而",
        "在",
        "是",
        "对",
        "于",
        "等",
        "将",
        "把",
        "被",
        "由",
        "以",
        "为",
        "之",
        "其",
        "中",
        "上",
        "下",
        "个",
        "也",
        "并",
        "且",
        "从",
        "到",
        "向",
        "又",
        "该",
        "此",
        "这",
        "那",
        "一种",
        "一个",
        "以及",
        "通过",
        "进行",
        "基于",
        "采用",
        "利用",
        "可以",
        "能够",
        "具有",
        "及其",
        "关于",
        "本文",
        "表明",
        "提出",
    ]
)

# What stays inside a token: letters and digits of any script (Chinese included). Everything else
# (punctuation, symbols, spaces) separates tokens, on both sides, so the database's own parsers
# (PostgreSQL's 'simple' configuration, SQLite's unicode61) see exactly our tokens.
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class _Segmenter:
    """The process's jieba, built once (the dictionary takes a moment to load) and shared by threads."""

    _lock = threading.Lock()
    _instance = None
    _converter = None

    @classmethod
    def get(cls):
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    import opencc
                    import rjieba

                    jieba = rjieba.Jieba()
                    for line in DICTIONARY.read_text(encoding="utf-8").splitlines():
                        line = line.strip()
                        if line and not line.startswith("#"):
                            word, _, freq = line.partition(" ")
                            jieba.add_word(word, int(freq) if freq.strip() else None, None)
                    cls._converter = opencc.OpenCC("t2s")
                    cls._instance = jieba
        return cls._instance

    @classmethod
    def simplify(cls, text: str) -> str:
        cls.get()
        return cls._converter.convert(text)


def initialise() -> None:
    """Load the segmenter now (worker start, before a benchmark) instead of on the first search."""
    _Segmenter.get()


def normalise(text: str) -> str:
    """Full-width to half-width, traditional to simplified, lower case: what both sides compare."""
    text = unicodedata.normalize("NFKC", text or "")
    return _Segmenter.simplify(text).lower()


def _clean(words) -> list[str]:
    tokens = []
    append = tokens.append
    for word in words:
        if word.isalnum():  # the common case: a word of letters or digits (Chinese included)
            if word not in STOPWORDS:
                append(word)
        elif len(word) > 1:
            for piece in _SEPARATORS.split(word):
                if piece and piece not in STOPWORDS:
                    append(piece)
    return tokens


def index_tokens(text: str) -> list[str]:
    """The tokens a document is indexed under, in order (search mode)."""
    if not text:
        return []
    return _clean(_Segmenter.get().cut_for_search(normalise(text), False))


def index_text(*texts: str) -> str:
    """The tokens of one or more texts, joined by spaces: what the database indexes."""
    return " ".join(token for text in texts for token in index_tokens(text))


@dataclass(frozen=True)
class Term:
    """One word of a query and what else satisfies it.

    `alternatives` are token groups; the term matches a document containing every token of any
    group: the word itself, each synonym, and for a longer word the shorter words inside it.
    """

    word: str
    alternatives: tuple[tuple[str, ...], ...]

    @property
    def tokens(self) -> set[str]:
        return {token for group in self.alternatives for token in group}


@dataclass(frozen=True)
class ParsedQuery:
    """The words of a query; `filters` are the structured filters as filter-token terms, matched
    with the words so the full-text index does both at once (never highlighted)."""

    text: str
    terms: tuple[Term, ...] = field(default_factory=tuple)
    truncated: bool = False
    filters: tuple[Term, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def all_terms(self) -> tuple[Term, ...]:
        return self.terms + self.filters

    def with_filters(self, filters: tuple[Term, ...]) -> ParsedQuery:
        return ParsedQuery(self.text, self.terms, self.truncated, tuple(filters))

    @property
    def highlight_words(self) -> list[str]:
        """Every token that can match, longest first (so 锂离子电池 is marked before 电池)."""
        words = {token for term in self.terms for token in term.tokens}
        return sorted(words, key=lambda w: (-len(w), w))


def _parts(word: str) -> tuple[str, ...]:
    """The shorter dictionary words inside a longer one (锂离子电池 → 锂离子, 电池), covering it."""
    if len(word) < 3 or not _CJK.search(word):
        return ()
    parts = [p for p in _clean(_Segmenter.get().cut_for_search(word, False)) if p != word]
    # Keep the parts that are not inside another part: 锂离子 covers 离子.
    kept = sorted(
        {p for p in parts if not any(p != other and p in other for other in parts)}, key=lambda p: (word.find(p), p)
    )
    covered = "".join(kept)
    return tuple(dict.fromkeys(kept)) if len(kept) > 1 and len(covered) >= len(word) - 1 else ()


def parse_query(text: str, synonyms: dict[str, tuple[str, ...]] | None = None) -> ParsedQuery:
    """Cut a query into terms: every term must match (AND); a term's alternatives are OR-ed."""
    text = (text or "").strip()
    truncated = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH]
    synonyms = synonyms or {}
    words = list(dict.fromkeys(_clean(_Segmenter.get().cut(normalise(text), False))))
    terms = []
    for word in words[:MAX_QUERY_TERMS]:
        variants = [word, *(s for s in synonyms.get(word, ()) if s != word)]
        groups: list[tuple[str, ...]] = []
        for variant in variants:
            variant_tokens = tuple(_clean([variant]))
            if not variant_tokens:
                continue
            if len(variant_tokens) == 1:
                groups.append(variant_tokens)
                parts = _parts(variant_tokens[0])
                if parts:
                    groups.append(parts)
            else:
                groups.append(variant_tokens)
        if groups:
            terms.append(Term(word=word, alternatives=tuple(dict.fromkeys(groups))))
    return ParsedQuery(text=text, terms=tuple(terms), truncated=truncated or len(words) > MAX_QUERY_TERMS)


@cache
def _marker(words: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def highlight(text: str, words: list[str]) -> str:
    """`text` HTML-escaped, with each occurrence of `words` wrapped in <mark>."""
    from django.utils.html import escape

    if not text:
        return ""
    if not words:
        return escape(text)
    # Match on a simplified copy (same length for the characters OpenCC maps one to one), mark the original.
    simplified = normalise(text)
    if len(simplified) != len(text):
        simplified = text.lower()
    pieces, last = [], 0
    for match in _marker(tuple(words)).finditer(simplified):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(text[match.start() : match.end()])}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return "".join(pieces)


def excerpt(text: str, words: list[str], length: int = 140) -> str:
    """A window of `text` around the first matched word (or its start), at most `length` characters."""
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    simplified = normalise(text)
    position = -1
    if words and len(simplified) == len(text):
        match = _marker(tuple(words)).search(simplified)
        position = match.start() if match else -1
    start = max(0, position - length // 4) if position > length // 2 else 0
    window = text[start : start + length]
    return ("…" if start else "") + window + ("…" if start + length < len(text) else "")
