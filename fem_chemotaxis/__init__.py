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
- pictures and messages: :func:`save_species_png`, :func:`save_time_series_png`,
  :func:`save_flow_png`, :func:`gather_grid`, :func:`save_small_copy`, :func:`configure_logging`;
- parameter estimation: :func:`fit` (a FIT.toml, as ``fem-chemotaxis fit``) and
  :func:`fit_simulation` (a simulation built in Python) with :class:`FittedParameter`,
  :class:`FieldObservation` (or :class:`PointObservation`), :class:`OptimiserSettings`, giving a :class:`FitResult`;
  :func:`load_fit_config`; the rest of parameter estimation (pictures, adjoint gradients) as
  the namespace :mod:`fitting`;
- tool families, as namespaces: :mod:`analysis` (dispersion relations, stability),
  :mod:`kinetics` (run-and-tumble -> macroscopic coefficients), :mod:`particles`.

Nothing inside the package imports this module: it only hands names on.
"""

try:  # the pip route's DOLFINx wheels must load MPI before dolfinx and petsc4py are imported
    import dolfinx_solver  # noqa: F401
except ImportError:  # any other installation of DOLFINx
    pass

from fem_chemotaxis import analysis, fitting, kinetics, particles
from fem_chemotaxis.adaptivity import Adaptation
from fem_chemotaxis.config import (
    AdaptSettings,
    ConfigDocument,
    ConfigError,
    Discretisation,
    OutputSettings,
    RunConfig,
    SolverSettings,
    TimeSettings,
    load_config,
)
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.fitting import (
    FieldObservation,
    FitResult,
    FittedParameter,
    OptimiserSettings,
    PointObservation,
    fit,
    fit_simulation,
    load_fit_config,
)
from fem_chemotaxis.fluid import FluidFlow
from fem_chemotaxis.io.console import configure_logging
from fem_chemotaxis.library import BUILTIN_MODELS, builtin_model
from fem_chemotaxis.mesh import GENERATORS, TaggedMesh, create_builtin, generate, read_gmsh, write_msh
from fem_chemotaxis.model import BoundaryCondition, CentreOfMass, Flow, Flux, Integral, Model, Quantity, Species, Taxis
from fem_chemotaxis.motion import MeshMotion
from fem_chemotaxis.outputs import Checkpoints, Fields, Output, Pictures, TimeSeries
from fem_chemotaxis.runner import StoredRun, advance_with_progress, read_summary, restart, run, run_simulation
from fem_chemotaxis.simulation import BlowUp, MeshQualityStop, RunStopped, Simulation, SolverFailure, StepRecord
from fem_chemotaxis.version import __version__
from fem_chemotaxis.viz import gather_grid, save_small_copy, save_species_png, save_time_series_png
from fem_chemotaxis.viz.flow import save_flow_png

__all__ = [
    "BUILTIN_MODELS",
    "GENERATORS",
    "AdaptSettings",
    "Adaptation",
    "BlowUp",
    "BoundaryCondition",
    "CentreOfMass",
    "Checkpoints",
    "ConfigDocument",
    "ConfigError",
    "Discretisation",
    "Expression",
    "FieldObservation",
    "Fields",
    "FitResult",
    "FittedParameter",
    "Flow",
    "FluidFlow",
    "Flux",
    "Integral",
    "MeshMotion",
    "MeshQualityStop",
    "Model",
    "OptimiserSettings",
    "Output",
    "OutputSettings",
    "Pictures",
    "PointObservation",
    "Quantity",
    "RunConfig",
    "RunStopped",
    "Simulation",
    "SolverFailure",
    "SolverSettings",
    "Species",
    "StepRecord",
    "StoredRun",
    "TaggedMesh",
    "Taxis",
    "TimeSeries",
    "TimeSettings",
    "__version__",
    "advance_with_progress",
    "analysis",
    "builtin_model",
    "configure_logging",
    "create_builtin",
    "fit",
    "fit_simulation",
    "fitting",
    "gather_grid",
    "generate",
    "kinetics",
    "load_config",
    "load_fit_config",
    "particles",
    "read_gmsh",
    "read_summary",
    "restart",
    "run",
    "run_simulation",
    "save_flow_png",
    "save_small_copy",
    "save_species_png",
    "save_time_series_png",
    "write_msh",
]
