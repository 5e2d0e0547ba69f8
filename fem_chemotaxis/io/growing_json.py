"""JSON files rewritten at every output time around lists that only grow: a run's records and steps.

``summary.json`` and ``checkpoint.json`` hold every record and every accepted step of a run and
are rewritten at every output time. Converting and encoding all of them each time made a run's
outputs cost O(steps^2): 5000 steps with an output every 10 (4.1e3 DOFs) spent 22 s converting
and encoding steps already written (under cProfile; the run took 59-64 s, and 49-50 s with this
module and the rows of ``timeseries.csv`` formatted once). :class:`GrowingJSON` keeps each
item's text, encoded once, one item a line; :class:`EncodedOnce` is the cache it (and
``timeseries.csv``'s table) keeps.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["EncodedOnce", "GrowingJSON"]


class GrowingJSON:
    """The JSON text of mappings whose lists under `keys` only grow from one write to the next."""

    def __init__(self, *keys: str):
        self.keys = keys
        self._lists = {key: EncodedOnce() for key in keys}

    def dumps(self, data: Mapping[str, Any]) -> str:
        """`data` as indented JSON (the value ``json.dumps`` gives), its `keys` last, one item a line.

        Items (mappings or dataclasses) encoded by an earlier call are taken as unchanged while
        their list is the same object, no shorter than before; another list is encoded anew.
        """
        rest = {name: value for name, value in data.items() if name not in self.keys}
        head = json.dumps(rest, indent=2)
        listed = [
            f"  {json.dumps(key)}: {_listed(self._lists[key].texts(data[key], _encoded))}"
            for key in self.keys
            if key in data
        ]
        if not listed:
            return head + "\n"
        opening = head[:-2] + ",\n" if rest else "{\n"  # head ends "\n}", or is "{}"
        return opening + ",\n".join(listed) + "\n}\n"


class EncodedOnce:
    """The texts of the items of a list that only grows, each encoded once: kept while the list
    is the same object and no shorter than before (a new or shorter list is encoded anew)."""

    def __init__(self) -> None:
        self._source: Sequence[Any] | None = None
        self._texts: list[str] = []

    def texts(self, items: Sequence[Any], encode: Callable[[Any], str]) -> list[str]:
        """The text of every item, `encode` called on those not encoded before."""
        if items is not self._source or len(items) < len(self._texts):
            self._source, self._texts = items, []
        self._texts.extend(encode(item) for item in items[len(self._texts) :])
        return self._texts


def _listed(texts: Sequence[str]) -> str:
    """A JSON list of encoded items, one a line, indented under a top-level key."""
    return "[\n    " + ",\n    ".join(texts) + "\n  ]" if texts else "[]"


def _encoded(item: Any) -> str:
    return json.dumps(_plain(item))


def _plain(item: Any) -> Any:
    """A dataclass as a dict; anything else as it is."""
    return dataclasses.asdict(item) if dataclasses.is_dataclass(item) and not isinstance(item, type) else item
