"""The front door's names, for type checkers and for `fem_chemotaxis/__init__.py`, which imports
each of them on first use (see its docstring)."""

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
from fem_chemotaxis.viz import SpeciesPictures, gather_grid, save_small_copy, save_species_png, save_time_series_png
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
    "SpeciesPictures",
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
