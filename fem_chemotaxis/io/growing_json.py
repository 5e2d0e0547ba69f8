"""JSON files rewritten at every output time around lists that only grow: a run's records and steps.

``summary.json`` and ``checkpoint.json`` hold every record and every accepted step of a run and
are rewritten at every output time. Converting and encoding all of them each time made a run's
outputs cost O(steps^2): 5000 steps with an output every 10 (4.1e3 DOFs) spent 22 s converting
and encoding steps already written (under cProfile; the run took 59-64 s, and 49-50 s with this
module and the rows of ``timeseries.csv`` formatted once). :class:`GrowingJSON` keeps each
item's text, encoded once, one item a line.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["GrowingJSON"]


class GrowingJSON:
    """The JSON text of mappings whose lists under `keys` only grow from one write to the next."""

    def __init__(self, *keys: str):
        self.keys = keys
        self._lists = {key: _EncodedItems() for key in keys}

    def dumps(self, data: Mapping[str, Any]) -> str:
        """`data` as indented JSON (the value ``json.dumps`` gives), its `keys` last, one item a line.

        Items (mappings or dataclasses) encoded by an earlier call are taken as unchanged while
        their list is the same object, no shorter than before; another list is encoded anew.
        """
        rest = {name: value for name, value in data.items() if name not in self.keys}
        head = json.dumps(rest, indent=2)
        listed = [f"  {json.dumps(key)}: {self._lists[key].text(data[key])}" for key in self.keys if key in data]
        if not listed:
            return head + "\n"
        opening = head[:-2] + ",\n" if rest else "{\n"  # head ends "\n}", or is "{}"
        return opening + ",\n".join(listed) + "\n}\n"


class _EncodedItems:
    """The texts of the items of one list, encoded once each."""

    def __init__(self) -> None:
        self.source: Sequence[Any] | None = None
        self.texts: list[str] = []

    def text(self, items: Sequence[Any]) -> str:
        if items is not self.source or len(items) < len(self.texts):
            self.source, self.texts = items, []
        self.texts.extend(json.dumps(_plain(item)) for item in items[len(self.texts) :])
        return "[\n    " + ",\n    ".join(self.texts) + "\n  ]" if self.texts else "[]"


def _plain(item: Any) -> Any:
    """A dataclass as a dict; anything else as it is."""
    return dataclasses.asdict(item) if dataclasses.is_dataclass(item) and not isinstance(item, type) else item
