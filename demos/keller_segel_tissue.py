# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: light
#       format_version: '1.5'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# # Keller-Segel aggregation on a tissue section
#
# Cells $u$ secrete a chemoattractant $s$ and climb its gradient (chemotaxis chapter,
# eqs. 7.2.1-7.2.2):
#
# $$ \partial_t u = \nabla\cdot\big(d\,\nabla u - \chi\, u\,\nabla s\big), \qquad
#    \partial_t s = d_s \Delta s + \alpha u - \beta s, $$
#
# with no flux through any boundary. The uniform state $u = s = \bar u$ is unstable to a
# Neumann mode of the domain with Laplacian eigenvalue $\mu_k$ when (chapter 7.2.5)
#
# $$ d\,(\mu_k + 1) < \chi\,\bar u \qquad (d_s = \alpha = \beta = 1), $$
#
# so strong enough chemotaxis turns small fluctuations into aggregates. The domain is a
# 2 x 1 section of tissue pierced by three blood vessels (holes), meshed with gmsh.
#
# Run it from the repository root with
# `docker/env.sh mpiexec -n 2 python demos/keller_segel_tissue.py`; with the environment
# variable `CI` set it stops early (t = 6 instead of 15).

# +
import json
import os
from pathlib import Path

import dolfinx.fem
import numpy as np
import ufl

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
fc.configure_logging(0, comm)  # progress lines on rank 0
SHORT = bool(os.environ.get("CI"))
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/keller_segel_tissue")
# -

# ## The model and its parameters
#
# The run is described in `demos/keller_segel.toml` (the same file
# `fem-chemotaxis run` takes): the built-in model `keller-segel` with motility
# $d = 0.25$ and sensitivity $\chi = 1.5$, a mean density $\bar u \approx 1$ with a small
# smooth perturbation, and steps of 0.1 of the default scheme ("auto": for this model the
# linearly implicit, third-order ros34pw2). With these numbers
# $\chi \bar u / d - 1 \approx 5$: every mode with $\mu_k < 5$ grows, which on this section
# means the first few, with wavelengths comparable to the section.

config = fc.load_config(DEMOS / "keller_segel.toml")
model = config.model
t_end = 6.0 if SHORT else config.t_end
if comm.rank == 0:
    print(f"{model.name}: {model.description}")
    for equation in model.equations():
        print("   ", equation)
    print("parameters:", ", ".join(f"{k} = {v:g}" for k, v in model.parameters.items()))

# ## The mesh
#
# `generate("tissue-section", ...)` builds the section with gmsh: triangles of size 0.04
# in the tissue, three times finer on the vessel walls. Its physical groups (`tissue`,
# `outer`, `vessel_1`, ...) are what boundary conditions in a config refer to. Your own
# geometry works the same way: `fem_chemotaxis.mesh.read_gmsh("my.msh", comm)`, or
# `[mesh] file = "my.msh"` in the TOML file.

tissue = fc.generate("tissue-section", comm, **config.mesh.parameters)
cells = tissue.mesh.topology.index_map(2).size_global
if comm.rank == 0:
    print(f"mesh: {cells} triangles; physical groups: {', '.join(tissue.physical_groups)}")

# ## Running it
#
# `Simulation` generates the weak form from the model and its Jacobian, and solves each
# step's linear systems with PETSc. `advance_with_progress` steps to every output time,
# prints a progress line with each species' range and mass there (as `fem-chemotaxis run`
# does) and hands back the statistics of those times.

sim = fc.Simulation.from_config(config, mesh=tissue)
if comm.rank == 0:
    print(f"time scheme: {sim.scheme.name} (dt = {config.time.dt:g})")
first_mode = fc.analysis.neumann_modes(tissue, 1)  # phi_1 and mu_1 of the section (SLEPc), for the check below
projections = [dolfinx.fem.form(sim.u[name] * first_mode.functions[0] * ufl.dx) for name in ("u", "s")]


def amplitudes() -> np.ndarray:
    """The components of u and s along the first Neumann mode phi_1."""
    return np.array([comm.allreduce(dolfinx.fem.assemble_scalar(f), op=MPI.SUM) for f in projections])


history, along_first_mode = [], {}
for stats in fc.advance_with_progress(sim, t_end, config.output.interval):  # statistics per output time
    history.append(stats)
    along_first_mode[round(sim.time, 9)] = amplitudes()
initial = history[0]

# ## A physical check: the cells are conserved
#
# No cells are born or die and none leave through the walls, so the total cell mass
# $\int u$ must stay at its initial value. The scheme conserves it exactly up to the
# solver tolerance.

final = sim.statistics()
drift = abs(final["u"]["mass"] - initial["u"]["mass"]) / initial["u"]["mass"]
if comm.rank == 0:
    print(f"cell mass {initial['u']['mass']:.10f} -> {final['u']['mass']:.10f} (relative change {drift:.1e})")
assert drift < 1e-9, drift

# ## A physical check: the first mode grows as linear theory says
#
# On this section only the first Neumann mode $\varphi_1$ ($\mu_1 = 2.27$) is unstable. Its
# components $(a_u, a_s)$ in $u$ and $s$ obey, while small, the chapter's linearisation (7.2)
# about $u = s = \bar u$:
#
# $$ \frac{d}{dt}\begin{pmatrix} a_u \\ a_s \end{pmatrix} =
#    \begin{pmatrix} -d\,\mu_1 & \chi \bar u\, \mu_1 \\ \alpha & -d_s \mu_1 - \beta \end{pmatrix}
#    \begin{pmatrix} a_u \\ a_s \end{pmatrix}, $$
#
# which $n$ steps of the scheme turn into $R(\Delta t\, L)^n$, with $R$ the scheme's
# stability function (`sim.scheme.amplification`: $1/(1 - z)$ for backward Euler, whose
# $R^n$ is 4.4 % above $e^{tL}$ on the growing mode here; ros34pw2's is within 3e-6 of it).
# At t = 6 the simulated $a_u$ must be that prediction within 1 % (measured: 0.14 %, the
# nonlinear terms): it has grown eightfold, where without chemotaxis it would have decayed
# to 4 % of its start. (Later, in the full run, the aggregate is far from linear.)

p = model.parameters
u_bar = initial["u"]["mass"] / comm.allreduce(
    dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * ufl.dx(domain=tissue.mesh))), op=MPI.SUM
)
mu1 = first_mode.eigenvalues[0]
linear = np.array([[-p["d"] * mu1, p["chi"] * u_bar * mu1], [p["alpha"], -p["ds"] * mu1 - p["beta"]]])
t_check = 6.0
steps = round(t_check / config.time.dt)
rates, vectors = np.linalg.eig(linear)
factors = [complex(sim.scheme.amplification(config.time.dt * rate)) ** steps for rate in rates]
predicted = (vectors @ np.diag(factors) @ np.linalg.solve(vectors, along_first_mode[0.0])).real
ratio = along_first_mode[t_check][0] / predicted[0]
if comm.rank == 0:
    print(
        f"first mode (mu_1 = {mu1:.4f}, growth rate {max(np.linalg.eigvals(linear).real):.4f}): a_u "
        f"{along_first_mode[0.0][0]:.4e} -> {along_first_mode[t_check][0]:.4e} at t = {t_check:g}, "
        f"linear theory {predicted[0]:.4e} (ratio {ratio:.4f})"
    )
assert abs(ratio - 1) < 0.01, ratio

# ## Looking at the result
#
# One panel per species, each with its own colour bar. By t = 15 the cells have drained
# from the right of the section into one aggregate at the middle of the left wall (u from
# 0.16 to 6): the longest mode of the section won, and the no-flux wall holds the signal
# the cells produce. (With `CI` set the picture shows the pattern just emerging.)

if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
comm.Barrier()
picture = OUTPUT / "species.png"
fc.save_species_png(list(sim.u.values()), picture, time=sim.time, title="Keller-Segel aggregation")
if comm.rank == 0 and not SHORT:
    fc.save_small_copy(picture, DEMOS / "images" / "keller_segel_tissue.png")

# ## The stored quantity
#
# The tests run this demo with `CI=1` and compare the peak cell density at the end with
# `demos/reference.json`.

if comm.rank == 0:
    result = {"quantity": "u_max", "value": final["u"]["max"], "time": sim.time, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"peak cell density at t = {sim.time:g}: {final['u']['max']:.6f} -> {picture}")

# ## Variants of the family
#
# The same few lines run the other Keller-Segel models of the library; only the TOML file
# changes (`fem-chemotaxis show-model NAME` prints each one's equations):
#
# * `demos/keller_segel_elliptic.toml`: the signal is quasi-steady,
#   $0 = d_s \Delta s + \alpha u - \beta s$; cells drain to the left edge, heading for
#   finite-time blow-up;
# * `demos/keller_segel_volume_filling.toml`: sensitivity $\chi u (1 - u/\gamma)$, flat-topped
#   plateaus at $u = \gamma$ that merge slowly;
# * `demos/keller_segel_transduction.toml`: motility and sensitivity derived from bacterial
#   signal transduction (chapter 7.3), aggregates limited by receptor saturation;
# * `demos/stability_keller_segel.toml` with `fem-chemotaxis stability`: which Laplacian
#   modes of this section grow, and the critical $\chi$.
#
# From the command line: `docker/env.sh mpiexec -n 2 fem-chemotaxis run demos/keller_segel_elliptic.toml`.
