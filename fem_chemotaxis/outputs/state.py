"""The state of a :class:`~fem_chemotaxis.simulation.Simulation` that a restart must restore.

Besides the unknowns, the next steps depend on: the proposed step size, the previous step
size and the previous solution (two-step methods such as BDF2), and the accepted solutions
that an adaptive step controller extrapolates from.  With all of them restored, a continued
run takes exactly the steps an uninterrupted run would have taken.

Functions are keyed by the names they are stored under in the checkpoint: the unknowns by
their own names (``u``, or ``log_u`` in log-density variables), the previous solution as
``previous_<name>`` and older controller levels as ``level<k>_<name>`` (k >= 2). A moving
mesh adds its node positions at t_n and t_{n-1} (``mesh_position``, ``previous_mesh_position``);
the checkpoint's mesh is the reference (initial) geometry. A Rosenbrock W-method keeps its
Jacobian for several steps: the state and time it was assembled at (``jacobian_state_<name>``,
JSON ``kept_jacobian``) and the PI controller's memory (``controller_pi``) are stored as well.

The Simulation exposes them (``previous_unknowns``, ``dt_previous``, ``continue_from``, its
controller's ``history`` and its moving mesh's ``positions``/``set_positions``); this module
only converts between them and checkpoint Functions / JSON scalars.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import dolfinx.fem
import numpy as np

from fem_chemotaxis.motion import POSITION, place_geometry
from fem_chemotaxis.simulation import Simulation

__all__ = ["capture", "current_functions", "load_unknowns", "restore", "scratch_functions"]

#: Checkpoint prefix of the state a Rosenbrock W-method's kept Jacobian was assembled at.
JACOBIAN_STATE = "jacobian_state_"


def current_functions(sim: Simulation) -> dict[str, dolfinx.fem.Function]:
    """The unknowns (and mesh positions), keyed by their checkpoint names (written at every checkpoint time)."""
    functions = {f.name: f for f in sim.unknowns.values()}
    if sim.moving is not None:
        functions[POSITION] = sim.moving.positions()
    return functions


def capture(sim: Simulation) -> tuple[dict[str, Any], dict[str, dolfinx.fem.Function]]:
    """The stepper's scalars (for JSON) and every function a restart needs, by checkpoint name."""
    functions = current_functions(sim)
    previous = sim.previous_unknowns
    functions.update({f"previous_{f.name}": previous[n] for n, f in sim.unknowns.items()})
    if sim.moving is not None:
        functions[f"previous_{POSITION}"] = sim.moving.positions(previous=True)
    history = list(sim.controller.history) if sim.controller is not None else []
    for k, (_, values) in enumerate(history[2:], start=2):
        for name, part in _split(sim, values).items():
            functions[f"level{k}_{sim.unknowns[name].name}"] = _function(sim, name, part)
    scalars: dict[str, Any] = {
        "time": sim.time,
        "dt": sim.dt,
        "dt_previous": sim.dt_previous,
        "controller_times": [t for t, _ in history],
    }
    if sim.controller is not None and sim.controller.pi:
        scalars["controller_pi"] = sim.controller.pi_state
    kept = sim.solver.kept_jacobian()
    if kept is not None:
        age, t, values = kept
        scalars["kept_jacobian"] = {"age": age, "time": t}
        for name, part in _split(sim, values).items():
            functions[f"{JACOBIAN_STATE}{sim.unknowns[name].name}"] = _function(sim, name, part)
    return scalars, functions


def scratch_functions(sim: Simulation, scalars: Mapping[str, Any]) -> dict[str, dolfinx.fem.Function]:
    """Fresh functions, keyed like :func:`capture`'s, to read a checkpoint into."""
    functions = {}
    levels = ["", "previous_"] + [f"level{k}_" for k in range(2, len(scalars["controller_times"]))]
    if "kept_jacobian" in scalars:
        levels.append(JACOBIAN_STATE)
    for prefix in levels:
        for name, f in sim.unknowns.items():
            functions[prefix + f.name] = dolfinx.fem.Function(sim.spaces[name], name=f.name)
    if sim.moving is not None:
        for prefix in ("", "previous_"):
            functions[prefix + POSITION] = dolfinx.fem.Function(sim.moving.space, name=POSITION)
    return functions


def load_unknowns(sim: Simulation, functions: Mapping[str, dolfinx.fem.Function]) -> None:
    """Set the unknowns (and the densities of log-density species, the mesh) from checkpoint functions."""
    if POSITION in functions:
        place_geometry(sim.mesh, functions[POSITION])
    for name, f in sim.unknowns.items():
        f.x.array[:] = functions[f.name].x.array
        if sim.u[name] is not f:
            sim.u[name].x.array[:] = np.exp(f.x.array)


def restore(sim: Simulation, scalars: Mapping[str, Any], functions: Mapping[str, dolfinx.fem.Function]) -> None:
    """Put `sim` into the captured state (functions as from :func:`scratch_functions`)."""
    load_unknowns(sim, functions)
    if sim.moving is not None:
        sim.moving.set_positions(functions[POSITION], functions[f"previous_{POSITION}"])
    previous = {name: functions[f"previous_{f.name}"] for name, f in sim.unknowns.items()}
    sim.continue_from(scalars["time"], scalars["dt"], scalars["dt_previous"], previous)
    if sim.controller is not None:
        times = scalars["controller_times"]
        prefixes = ["", "previous_"] + [f"level{k}_" for k in range(2, len(times))]
        sim.controller.history = deque(
            ((t, _owned(sim, functions, prefix)) for t, prefix in zip(times, prefixes)),
            maxlen=sim.controller.history.maxlen,
        )
        if "controller_pi" in scalars:
            sim.controller.restore_pi_state(scalars["controller_pi"])
    if "kept_jacobian" in scalars:
        kept = scalars["kept_jacobian"]
        sim.solver.restore_jacobian(kept["age"], kept["time"], _owned(sim, functions, JACOBIAN_STATE))


def _owned(sim: Simulation, functions: Mapping[str, dolfinx.fem.Function], prefix: str) -> np.ndarray:
    """Owned values of one level of all unknowns, concatenated like the controller's."""
    parts = []
    for f in sim.unknowns.values():
        level = functions[prefix + f.name]
        parts.append(level.x.array[: level.function_space.dofmap.index_map.size_local])
    return np.concatenate(parts)


def _function(sim: Simulation, name: str, owned: np.ndarray) -> dolfinx.fem.Function:
    """A function of species `name`'s space with these owned values."""
    function = dolfinx.fem.Function(sim.spaces[name])
    function.x.array[: len(owned)] = owned
    function.x.scatter_forward()
    return function


def _split(sim: Simulation, values: np.ndarray) -> dict[str, np.ndarray]:
    """Owned values of all unknowns (concatenated as by the controller), per species."""
    parts, start = {}, 0
    for name, f in sim.unknowns.items():
        size = f.function_space.dofmap.index_map.size_local
        parts[name] = values[start : start + size]
        start += size
    return parts
