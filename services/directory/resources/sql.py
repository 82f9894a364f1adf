"""A hint the directory's reads need on SQLite: which side of a join drives it.

SQLite's planner, given `resources.id IN (<the places open on a day>)` and a join on the id, starts
from that list and sorts what it finds, when walking the postings (or the reading index) in result
order and stopping at the page size is far cheaper. SQLite's documented way to say "do not look this
column up through an index" is a unary plus on it; `through_no_index` writes that on SQLite and
nothing on PostgreSQL, whose planner weighs the two with real statistics.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class through_no_index(FunctionElement[str]):
    """The column itself; on SQLite `+column`, which no index lookup starts from."""

    type = String()
    inherit_cache = True


@compiles(through_no_index)
def _plain(element: through_no_index, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(through_no_index, "sqlite")
def _unary_plus(element: through_no_index, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))
