"""Classical and fractional Keller-Segel on the tissue section, side by side in one picture.

    make exec CMD="mpiexec -n 2 python demos/classical_vs_fractional.py"

Runs demos/fractional_keller_segel.toml (cell diffusion ``d (-Lap)^(alpha/2)``, alpha = 1.5)
and its classical counterpart (the same model and parameters with ``-div(d grad rho)``) from
the same initial state, and writes the cell densities at the final time to
results/classical_vs_fractional/comparison.png (each panel with its own colour scale). The
cell mass is below the classical critical mass, so classical cells only drift towards the
left wall, while the Levy-flight cells collapse there (blow-up near t = 11.3). With the
environment variable CI set the run is shortened to t = 2.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import dolfinx.fem
from mpi4py import MPI

from fem_chemotaxis.config.run_config import load_config
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.runner import build_mesh
from fem_chemotaxis.simulation import Simulation
from fem_chemotaxis.viz import save_species_png

HERE = Path(__file__).resolve().parent
OUTPUT = Path("results/classical_vs_fractional")


def classical_counterpart(model: Model) -> Model:
    """The same model with classical diffusion for every fractional species."""
    species = tuple(dataclasses.replace(sp, fractional_order=None) for sp in model.species)
    return Model(model.name.replace("fractional", "classical"), species, model.parameters, model.description)


def main() -> None:
    comm = MPI.COMM_WORLD
    config = load_config(HERE / "fractional_keller_segel.toml")
    t_end = min(config.t_end, 2.0) if os.environ.get("CI") else config.t_end
    mesh = build_mesh(config.mesh, comm)
    fractional = config.model
    order = next(sp.fractional_order for sp in fractional.species if sp.fractional_order is not None)
    panels = []
    for label, model in (("classical", classical_counterpart(fractional)), (f"fractional a={order:g}", fractional)):
        start = time.perf_counter()
        sim = Simulation(model, mesh, config.initial, dt=config.dt, scheme=config.scheme)
        sim.advance_to(t_end)
        stats = sim.statistics()["rho"]
        if comm.rank == 0:
            print(f"{label:>16}: t = {t_end:g} in {len(sim.history)} steps, {time.perf_counter() - start:.1f} s; "
                  f"rho min {stats['min']:.3f} max {stats['max']:.3f} mass {stats['mass']:.6f}", flush=True)
        panel = dolfinx.fem.Function(sim.u["rho"].function_space, name=label)
        panel.x.array[:] = sim.u["rho"].x.array
        panels.append(panel)
    if comm.rank == 0:
        OUTPUT.mkdir(parents=True, exist_ok=True)
    comm.Barrier()
    path = OUTPUT / "comparison.png"
    title = "Keller-Segel cells, same parameters: classical diffusion vs Levy flights (own colour scales)"
    save_species_png(panels, path, time=t_end, title=title)
    if comm.rank == 0:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
