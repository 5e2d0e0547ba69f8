"""What a run records, as objects: fields, checkpoints, the time series, pictures, quantities.

A run calls each :class:`Output` at every output time and at its end (see
:mod:`~fem_chemotaxis.outputs.output`); a config's run writes :class:`TimeSeries`,
:class:`Fields`, :class:`Checkpoints` and :class:`Pictures`. The derived quantities of
:mod:`fem_chemotaxis.model.quantities` are evaluated on a simulation by :class:`QuantityValues`.
"""

from fem_chemotaxis.outputs.checkpoints import Checkpoints
from fem_chemotaxis.outputs.fields import Fields
from fem_chemotaxis.outputs.output import Output, Record
from fem_chemotaxis.outputs.pictures import Pictures, time_series_pictures
from fem_chemotaxis.outputs.quantities import QuantityValues
from fem_chemotaxis.outputs.time_series import TimeSeries

__all__ = [
    "Checkpoints",
    "Fields",
    "Output",
    "Pictures",
    "QuantityValues",
    "Record",
    "TimeSeries",
    "time_series_pictures",
]
