"""Segmentation, normalisation, query parsing and highlighting (no database)."""

from marketplace.search.text import (
    MAX_QUERY_LENGTH,
    excerpt,
    highlight,
    index_tokens,
    normalise,
    parse_query,
)


def test_market_terms_are_single_tokens_and_their_parts_are_indexed_too():
    tokens = index_tokens("揭榜挂帅项目由概念验证中心和技术经纪人共同推进中试")

    for term in ("揭榜挂帅", "概念验证中心", "技术经纪人", "中试"):
        assert term in tokens
    # Search mode also keeps the shorter words inside, so a query for a part finds the whole.
    assert {"揭榜", "挂帅", "概念", "验证", "经纪人"} <= set(tokens)


def test_compound_words_index_their_parts():
    tokens = index_tokens("一种锂离子电池正极材料")

    assert {"锂离子电池", "锂离子", "电池", "正极", "材料"} <= set(tokens)
    assert "一种" not in tokens  # a function word


def test_punctuation_separates_tokens_and_never_becomes_one():
    assert index_tokens("PEEK-材料，C++/5G！！") == ["peek", "材料", "c", "5g"]
    assert index_tokens("！？。，、") == []


def test_normalise_simplifies_traditional_characters_and_widths():
    assert normalise("鋰離子電池") == "锂离子电池"
    assert normalise("ＰＥＥＫ材料５Ｇ") == "peek材料5g"


def test_traditional_text_indexes_like_simplified():
    assert index_tokens("鋰離子電池") == index_tokens("锂离子电池")


def test_query_words_must_all_match_and_long_words_also_match_by_their_parts():
    query = parse_query("锂离子电池 正极")

    assert [term.word for term in query.terms] == ["锂离子电池", "正极"]
    battery = query.terms[0]
    assert ("锂离子电池",) in battery.alternatives
    assert ("锂离子", "电池") in battery.alternatives


def test_synonyms_widen_a_term():
    synonyms = {"锂电": ("锂电", "锂电池", "锂离子电池")}

    term = parse_query("锂电", synonyms).terms[0]

    assert {("锂电",), ("锂电池",), ("锂离子电池",)} <= set(term.alternatives)


def test_mixed_scripts_and_digits():
    assert [t.word for t in parse_query("5G 基站").terms] == ["5g", "基站"]
    assert [t.word for t in parse_query("PEEK 材料").terms] == ["peek", "材料"]
    assert [t.word for t in parse_query("ＰＥＥＫ材料").terms] == ["peek", "材料"]


def test_queries_without_words_are_empty_and_long_ones_are_cut():
    assert not parse_query("！！！")
    assert not parse_query("的 了 和")
    assert not parse_query("")

    long = parse_query("电池" * 1000)
    assert long.truncated
    assert len(long.text) == MAX_QUERY_LENGTH


def test_highlight_escapes_and_marks_longest_words_first():
    html = highlight("<b>锂离子电池</b>与电池", ["锂离子电池", "电池"])

    assert html == "&lt;b&gt;<mark>锂离子电池</mark>&lt;/b&gt;与<mark>电池</mark>"


def test_highlight_marks_traditional_text_found_by_a_simplified_word():
    assert highlight("鋰電池組", ["锂电池"]) == "<mark>鋰電池</mark>組"


def test_excerpt_centres_on_the_first_match():
    text = "无关内容" * 50 + "关键技术锂电池" + "其他内容" * 50

    window = excerpt(text, ["锂电池"], length=60)

    assert "锂电池" in window
    assert window.startswith("…") and window.endswith("…")
    assert len(window) <= 62
