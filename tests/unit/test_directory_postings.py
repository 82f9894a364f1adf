"""The postings' rules on plain text: a one- or two-character query's rank is its gram's part (what
makes a rank one index range), the sort key keeps reading order, and a query is looked up by its
grams."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.directory.resources.postings import (
    EntryText,
    Part,
    folded_query,
    grams,
    postings,
    query_grams,
    rank,
    sort_key,
)

ALPHABET = "子どもコドモ介護b型サロンー東のa"
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=8)
KANA_READING = st.text(alphabet="ァアカガキンヴーヽ・ ", min_size=0, max_size=8)


@given(name=texts.filter(bool), reading=texts, other=st.lists(texts, max_size=3), query=texts)
def test_a_short_querys_rank_is_the_part_its_gram_is_posted_under(
    name: str, reading: str, other: list[str], query: str
) -> None:
    text = EntryText.of(name, reading, other)
    q = folded_query(query) if query else None
    if q is None:
        return
    for gram in {q[:1], q[:2]}:
        assert postings(text).get(gram) == rank(text, gram)


@given(name=texts.filter(bool), reading=texts, other=st.lists(texts, max_size=3), query=texts.filter(bool))
def test_an_entry_holding_a_longer_query_posts_every_gram_of_it(
    name: str, reading: str, other: list[str], query: str
) -> None:
    text = EntryText.of(name, reading, other)
    q = folded_query(query)
    if q is None or rank(text, q) is None:
        return
    posted = postings(text)
    assert all(g in posted for g in query_grams(q))
    if rank(text, q) is not Part.OTHER:
        assert all(posted[g] <= Part.NAME for g in query_grams(q))


@given(a=KANA_READING, b=KANA_READING)
def test_the_sort_key_keeps_the_order_of_kana_readings(a: str, b: str) -> None:
    known = [c for c in a + b if c != "ヽ"]
    if len(known) == len(a + b):
        assert (sort_key(a) < sort_key(b)) == (a < b)
        assert (sort_key(a) == sort_key(b)) == (a == b)
    else:  # any other character sorts after every kana, and the key is still one total order
        assert (sort_key(a) == sort_key(b)) == (a == b)


def test_the_sort_key_is_one_byte_per_kana() -> None:
    assert sort_key("チイキホウカツ").isascii() and len(sort_key("チイキ ホウカツ")) == 8


def test_grams_never_span_two_parts() -> None:
    assert "ab" not in grams("a\nb") and {"a", "b"} <= grams("a\nb")


def test_names_fold_as_queries_do() -> None:
    text = EntryText.of("子ども食堂", "コドモショクドウ", ["ＢＡＳＥ　Ｂ型"])
    assert text.name == "子ドモ食堂" and text.other == "baseb型"
    assert rank(text, folded_query("子ども") or "") is Part.PREFIX
    assert rank(text, folded_query("ｺﾄﾞﾓ") or "") is Part.NAME
    assert rank(text, folded_query("b型") or "") is Part.OTHER
    assert postings(text)["子ド"] is Part.PREFIX and postings(text)["b型"] is Part.OTHER


def test_a_long_query_is_looked_up_by_a_few_grams_spread_over_it() -> None:
    assert query_grams("介護") == ["介護"]
    assert query_grams("ランラン") == ["ラン", "ンラ"]
    spread = query_grams("あいうえおかきくけこさしすせそ")
    assert len(spread) == 8 and spread[0] == "あい" and spread[-1] == "せそ"
