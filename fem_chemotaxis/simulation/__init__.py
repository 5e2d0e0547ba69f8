"""A model on a mesh, advanced in time: the simulation and what it is made of.

- :class:`Simulation` (simulation.py): the set-up sequence and managed stepping;
- species_fields.py: spaces, unknowns, densities and time levels of the species;
- parameters.py: the parameters as Constants, or DG0 Functions where subdomains differ;
- boundary_conditions.py: Dirichlet values and flux boundaries on named boundaries;
- step_solver.py: the solver of one step (Newton, with fractional diffusion inside it or a
  flow, or Rosenbrock) and its error control;
- outcomes.py: a step's record, and the ways a run stops (:class:`RunStopped` and kinds).
"""

from fem_chemotaxis.simulation.outcomes import BlowUp, MeshQualityStop, RunStopped, SolverFailure, StepRecord
from fem_chemotaxis.simulation.simulation import Simulation

__all__ = ["BlowUp", "MeshQualityStop", "RunStopped", "Simulation", "SolverFailure", "StepRecord"]
