"""JSON files rewritten at every output time around a list that only grows: a run's steps.

``summary.json`` and ``checkpoint.json`` hold every accepted step of a run and are rewritten at
every output time. Converting and encoding all the steps each time made a run's outputs cost
O(steps^2): 5000 steps with an output every 10 (4.1e3 DOFs) spent 22 s converting and encoding
steps already written (under cProfile; the run took 71-75 s, and 53-62 s with this module).
:class:`GrowingJSON` keeps each step's text, encoded once, one step a line.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["GrowingJSON"]


class GrowingJSON:
    """The JSON text of mappings whose list under `key` only grows from one write to the next."""

    def __init__(self, key: str):
        self.key = key
        self._items: list[str] = []

    def dumps(self, data: Mapping[str, Any]) -> str:
        """`data` as indented JSON (the value ``json.dumps`` gives), with `key` last, one item a line.

        Items (mappings or dataclasses) already encoded by an earlier call are taken as
        unchanged; a list shorter than the last one is encoded anew.
        """
        items = data[self.key]
        if len(items) < len(self._items):
            self._items.clear()
        self._items.extend(json.dumps(_plain(item)) for item in items[len(self._items) :])
        rest = {name: value for name, value in data.items() if name != self.key}
        opening = json.dumps(rest, indent=2)[:-2] + ",\n" if rest else "{\n"
        listed = "[\n    " + ",\n    ".join(self._items) + "\n  ]" if self._items else "[]"
        return f"{opening}  {json.dumps(self.key)}: {listed}\n}}\n"


def _plain(item: Any) -> Any:
    """A dataclass as a dict; anything else as it is."""
    return dataclasses.asdict(item) if dataclasses.is_dataclass(item) and not isinstance(item, type) else item
