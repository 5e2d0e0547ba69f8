"""fem_chemotaxis: finite elements for multi-species taxis-reaction systems (DOLFINx).

The front door: everything a study script needs, one import away::

    import fem_chemotaxis as fc
    from mpi4py import MPI

    mesh = fc.read_gmsh("meshes/tissue_section.msh", MPI.COMM_WORLD)
    model = fc.builtin_model("keller-segel").with_parameters({"chi": 2.0})
    sim = fc.Simulation(model, mesh, {"u": "1 + 0.1*noise(1)", "s": "1"}, fc.TimeSettings(dt=0.05))
    for stats in fc.advance_with_progress(sim, t_end=2.0, interval=0.5):
        print(stats["u"]["mass"])

- models: :class:`Model` (of :class:`Species`, :class:`Taxis`, a :class:`Flow`), the built-in
  library :data:`BUILTIN_MODELS` and :func:`builtin_model`, :class:`BoundaryCondition`,
  :class:`MeshMotion`, :class:`Expression`; derived quantities: :class:`Integral`,
  :class:`Flux`, :class:`CentreOfMass` (and :class:`Quantity` to write one's own);
- run files: :func:`load_config`, :class:`ConfigDocument`, :class:`RunConfig`, and the settings
  they share with Python (:class:`TimeSettings`, :class:`SolverSettings`,
  :class:`Discretisation`, :class:`OutputSettings`);
- meshes: :func:`read_gmsh`, :func:`create_builtin`, :func:`generate` (:data:`GENERATORS`),
  :func:`write_msh`, :class:`TaggedMesh`;
- solving: :class:`Simulation` (and :meth:`Simulation.from_config`), what stops it
  (:class:`RunStopped` and its kinds), :func:`advance_with_progress`; adaptive mesh
  refinement: :class:`Adaptation` with :class:`AdaptSettings` (``[mesh.adapt]``);
- whole runs with a run directory: :func:`run` (a config), :func:`run_simulation` (a
  simulation built in Python), :func:`restart`, :func:`read_summary`, and :class:`StoredRun`
  to read one back; the flow of a stored state: :class:`FluidFlow`;
- what a run writes: :class:`Output` and :class:`Fields`, :class:`Checkpoints`,
  :class:`TimeSeries`, :class:`Pictures`;
- pictures and messages: :func:`save_species_png`, :class:`SpeciesPictures`, :func:`save_time_series_png`,
  :func:`save_flow_png`, :func:`gather_grid`, :func:`save_small_copy`, :func:`configure_logging`;
- parameter estimation: :func:`fit` (a FIT.toml, as ``fem-chemotaxis fit``) and
  :func:`fit_simulation` (a simulation built in Python) with :class:`FittedParameter`,
  :class:`FieldObservation` (or :class:`PointObservation`), :class:`OptimiserSettings`, giving a :class:`FitResult`;
  :func:`load_fit_config`; the rest of parameter estimation (pictures, adjoint gradients) as
  the namespace :mod:`fitting`;
- tool families, as namespaces: :mod:`analysis` (dispersion relations, stability),
  :mod:`kinetics` (run-and-tumble -> macroscopic coefficients), :mod:`particles`.

Nothing inside the package imports this module: it only hands names on, each imported on first
use (the list is ``__init__.pyi``, which type checkers read): ``import fem_chemotaxis`` and the
``fem-chemotaxis`` command load DOLFINx, scipy, matplotlib and pyvista only when a name needs them.
"""

import ast
import importlib
from pathlib import Path
from typing import Any

try:  # the pip route's DOLFINx wheels must load MPI before dolfinx and petsc4py are imported
    import dolfinx_solver  # noqa: F401
except ImportError:  # any other installation of DOLFINx
    pass


def _read_homes() -> dict[str, tuple[str, str]]:
    """Each public name -> (the module it comes from, its name there), from ``__init__.pyi``."""
    stub = ast.parse(Path(__file__).with_suffix(".pyi").read_text())
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in stub.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


_HOMES = _read_homes()
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562) and keep it."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _HOMES[name]
    if module == __name__:  # a namespace: fem_chemotaxis.analysis, .fitting, ...
        value = importlib.import_module(f"{module}.{attribute}")
    else:
        value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
