"""Settings of a simulation and of a run, one class per table of a run file.

The same objects serve a TOML file and a Python script::

    [time]                                  fc.TimeSettings(dt=0.05, t_end=5.0, scheme="bdf2")
    dt = 0.05
    t_end = 5.0
    scheme = "bdf2"

Each field is the key of its table, spelled once. Values are checked when an object is made,
so a mistake raises ValueError naming the table and key (``[time] dt must be a positive
number, got -0.05``) whether it comes from a file or from Python. :meth:`from_table` reads a
TOML table (unknown keys are an error) and :meth:`to_table` gives it back with every default
filled in (the resolved config of ``summary.json``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from fem_chemotaxis.checks import boolean, choice, is_number, only_keys, positive
from fem_chemotaxis.solvers.nonlinear import PRESETS
from fem_chemotaxis.solvers.petsc_options import check_petsc_options
from fem_chemotaxis.time import SCHEMES

__all__ = ["POSITIVITY", "AdaptSettings", "Discretisation", "OutputSettings", "SolverSettings", "TimeSettings"]

#: Discretisations of the densities: plain Galerkin, or in log-density variables u = exp(w).
POSITIVITY = ("none", "log-density")

_Settings = TypeVar("_Settings", bound="_Table")


class _Table:
    """A settings class read from (and written back to) one TOML table."""

    TABLE: ClassVar[str]
    #: Keys a file must give (a Python caller gets the dataclass's own required arguments).
    REQUIRED: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_table(cls: type[_Settings], table: Any, **defaults: Any) -> _Settings:
        """Build from a TOML table (over `defaults`); ValueError naming an unknown or missing key."""
        keys = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        only_keys(table, keys, cls.TABLE)
        for key in cls.REQUIRED:
            if key not in table:
                raise ValueError(f"[{cls.TABLE}] is missing '{key}'")
        return cls(**{**defaults, **table})

    def to_table(self) -> dict[str, Any]:
        """The table with every default filled in."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def _where(self, key: str) -> str:
        return f"[{self.TABLE}] {key}"


@dataclass(frozen=True)
class TimeSettings(_Table):
    """Time stepping ([time]).

    Attributes:
        dt: The first (and, unless `dt_max` is given, largest) step.
        t_end: When a run ends (a Simulation alone is advanced with ``advance_to``).
        scheme: One of :data:`~fem_chemotaxis.time.SCHEMES`; "auto" (the default) runs ros34pw2
            where the model allows a linearly implicit scheme and backward Euler otherwise
            (:func:`~fem_chemotaxis.time.choose_scheme` says why).
        dt_min: Smallest step when retrying failed steps (default dt/1024).
        dt_max: Largest step an adaptive run may take (default dt).
        adaptive: Steps from a local error estimate with tolerances `rtol` and `atol`.
        rtol: Relative tolerance of the adaptive error estimate.
        atol: Absolute tolerance of the adaptive error estimate.
        blowup_threshold: Stop when a density maximum exceeds this (None: never).
        negative_tolerance: Reject steps whose density minimum is below -this (None: never).
    """

    TABLE: ClassVar[str] = "time"
    REQUIRED: ClassVar[tuple[str, ...]] = ("t_end", "dt")

    dt: float
    t_end: float | None = None
    scheme: str = "auto"
    dt_min: float | None = None
    dt_max: float | None = None
    adaptive: bool = False
    rtol: float = 1e-3
    atol: float = 1e-6
    blowup_threshold: float | None = None
    negative_tolerance: float | None = None

    def __post_init__(self) -> None:
        for key in ("dt", "rtol", "atol"):
            object.__setattr__(self, key, positive(getattr(self, key), self._where(key)))
        for key in ("t_end", "dt_min", "dt_max", "blowup_threshold", "negative_tolerance"):
            if getattr(self, key) is not None:
                object.__setattr__(self, key, positive(getattr(self, key), self._where(key)))
        choice(self.scheme, SCHEMES, self._where("scheme"))
        boolean(self.adaptive, self._where("adaptive"))
        if self.dt_min is not None and self.dt_max is not None and self.dt_min > self.dt_max:
            raise ValueError(f"[time] dt_min = {self.dt_min:g} is larger than dt_max = {self.dt_max:g}")

    @property
    def tolerances(self) -> tuple[float, float] | None:
        """(rtol, atol) of an adaptive run, None for fixed steps."""
        return (self.rtol, self.atol) if self.adaptive else None


@dataclass(frozen=True)
class SolverSettings(_Table):
    """The nonlinear and linear solvers ([solver]).

    Attributes:
        preset: One of :data:`~fem_chemotaxis.solvers.PRESETS` ("auto": direct below 5e3 unknowns,
            1e5 with flow).
        petsc: PETSc options (SNES/KSP/PC) merged over the preset, e.g. ``{"snes_rtol": 1e-10}``.
    """

    TABLE: ClassVar[str] = "solver"

    preset: str = "auto"
    petsc: Mapping[str, str | int | float | bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        choice(self.preset, PRESETS, self._where("preset"))
        if not isinstance(self.petsc, Mapping) or any(
            not isinstance(v, (str, int, float, bool)) for v in self.petsc.values()
        ):
            raise ValueError(
                f"{self._where('petsc')} must be a table of PETSc options, e.g. {{ ksp_type = \"gmres\" }}"
            )
        check_petsc_options(self.petsc)
        object.__setattr__(self, "petsc", dict(self.petsc))


@dataclass(frozen=True)
class Discretisation(_Table):
    """How the densities are discretised ([discretisation]).

    Attributes:
        positivity: "none" (Galerkin) or "log-density": species with taxis are solved for
            w = log u, so u = exp(w) > 0 everywhere (Dirichlet conditions on them are refused).
    """

    TABLE: ClassVar[str] = "discretisation"

    positivity: str = "none"

    def __post_init__(self) -> None:
        choice(self.positivity, POSITIVITY, self._where("positivity"))


@dataclass(frozen=True)
class OutputSettings(_Table):
    """What a run writes, and when ([output]).

    Attributes:
        dir: The run directory (in a file: default ``results/<config file name>``).
        interval: Simulated time between outputs (in a file: default t_end/10).
        pictures: Whether the run draws its pictures at the end.
    """

    TABLE: ClassVar[str] = "output"

    dir: Path
    interval: float
    pictures: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.dir, (str, Path)):
            raise ValueError(f"{self._where('dir')} must be a directory name, got {self.dir!r}")
        object.__setattr__(self, "dir", Path(self.dir))
        object.__setattr__(self, "interval", positive(self.interval, self._where("interval")))
        boolean(self.pictures, self._where("pictures"))

    def to_table(self) -> dict[str, Any]:
        """The table with every default filled in."""
        return {"dir": str(self.dir), "interval": self.interval, "pictures": self.pictures}


@dataclass(frozen=True)
class AdaptSettings(_Table):
    """Adaptive mesh refinement from the base mesh ([mesh.adapt]; see fem_chemotaxis/adaptivity).

    Attributes:
        every: Re-mesh after this many accepted steps (and once at the start, to the initial values).
        refine: Refine cells whose indicator (the estimated error relative to the species'
            largest value, see adaptivity/indicator.py) is at least this.
        coarsen: Coarsen cells whose indicator is below this (0: never).
        max_level: How many times a cell of the base mesh may be split.
        min_cell_size: Cells of smaller diameter are not split further (None: no limit).
        max_dofs: Refinement stops at the deepest round whose unknowns do not exceed this (None: no limit).
        rebalance: On several ranks, repartition (the base mesh, see adaptivity/rebalance.py) when
            the largest rank's share of cells over the mean exceeds this (at least 1), or False: never.
    """

    TABLE: ClassVar[str] = "mesh.adapt"

    every: int = 10
    refine: float = 0.01
    coarsen: float = 0.001
    max_level: int = 3
    min_cell_size: float | None = None
    max_dofs: int | None = None
    rebalance: float | bool = 1.2

    def __post_init__(self) -> None:
        for key in ("every", "max_level") + (("max_dofs",) if self.max_dofs is not None else ()):
            value = getattr(self, key)
            if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
                raise ValueError(f"{self._where(key)} must be a positive integer, got {value!r}")
        for key in ("refine", "coarsen"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"{self._where(key)} must be a number in [0, 1], got {value!r}")
        if self.coarsen >= self.refine:
            raise ValueError(f"[mesh.adapt] coarsen = {self.coarsen!r} must be below refine = {self.refine!r}")
        if self.min_cell_size is not None:
            object.__setattr__(self, "min_cell_size", positive(self.min_cell_size, self._where("min_cell_size")))
        if self.rebalance is not False:
            if not (is_number(self.rebalance) and self.rebalance >= 1):
                raise ValueError(f"{self._where('rebalance')} must be a number >= 1 or false, got {self.rebalance!r}")
            object.__setattr__(self, "rebalance", float(self.rebalance))
