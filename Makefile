# fem_chemotaxis: every target sets up the environment first if it is missing
# (docker/env.sh; once per machine), then runs inside it from the repository root.
ENV := docker/env.sh
NP  ?= 2

.PHONY: help env demo test test-serial test-mpi test-pip docs test-view bench soak exec docker image-check clean

help:
	@echo "make demo              run the main demo (Keller-Segel on a tissue section, $(NP) MPI ranks) -> results/"
	@echo "make test              run the test suite, serial and under mpiexec -n $(NP)"
	@echo "make test-pip          the pip route: a venv with the DOLFINx wheels (.venv-pip), serial test subset + one demo"
	@echo "make docs              the documentation site -> docs/_build/html (warnings are errors), checked in headless Chromium"
	@echo "make test-view         fem-chemotaxis view on a small run, screenshot-tested in headless Chromium"
	@echo "make bench [QUICK=1]   benchmark suite (about 60 min; QUICK=1: about 3 min) -> bench/results/"
	@echo "make soak [RUNS=30]    many short 2-rank runs under load; reports any hang after a run (part of make bench)"
	@echo "make exec CMD='...'    run any command inside the environment"
	@echo "make docker            build the Docker image with podman and run the tests in it"
	@echo "make image-check       build the Apptainer image (docker/apptainer.def) here and run a demo and a test on 2 ranks in it"

env:
	@$(ENV) python -c "import fem_chemotaxis, dolfinx; print('fem_chemotaxis', fem_chemotaxis.__version__, '| DOLFINx', dolfinx.__version__)"

demo:
	$(ENV) mpiexec -n $(NP) fem-chemotaxis run demos/keller_segel.toml --output results/keller_segel --force

test:
	$(ENV) tests/run_all.sh $(NP)

test-serial:
	$(ENV) python -m pytest tests

test-mpi:
	$(ENV) mpiexec -n $(NP) python -m pytest tests -m "not serial" -q

# The pip user's route (DOLFINx wheels, no system packages) in the environment's Python >= 3.12,
# with pip trusting this machine's CA certificates as for `bench`.
test-pip:
	@cat /etc/ssl/certs/ca-certificates.crt $(wildcard /usr/local/share/ca-certificates/*.crt) > .pip-ca.pem 2>/dev/null || true
	$(ENV) docker/test-pip.sh --cert .pip-ca.pem

# Sphinx (pip, its own venv) builds the site inside the environment; the host's Chromium then loads
# every page (installed with apt if missing): renders, images load, internal links resolve.
docs:
	@cat /etc/ssl/certs/ca-certificates.crt $(wildcard /usr/local/share/ca-certificates/*.crt) > .pip-ca.pem 2>/dev/null || true
	$(ENV) docker/build-docs.sh --cert .pip-ca.pem
	@command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }
	python3 docs/check_pages.py docs/_build/html

# `fem-chemotaxis view`: a small run and its HTML viewer, screenshots compared with plot's pictures.
test-view:
	@command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }
	python3 docs/check_viewer.py

# pip inside the environment installs FiPy for the benchmark; it trusts this machine's CA
# certificates through a bundle made here (the environment may not see the host's).
bench:
	@cat /etc/ssl/certs/ca-certificates.crt $(wildcard /usr/local/share/ca-certificates/*.crt) > bench/.pip-ca.pem 2>/dev/null || true
	$(ENV) python bench/run.py $(if $(QUICK),--quick) --pip-cert bench/.pip-ca.pem
	$(ENV) python bench/soak.py $(if $(QUICK),--runs 3 --output bench/results/soak-quick.json)

# Many short 2-rank runs under load: does every run end (no hang after completion)? At most 20 min.
RUNS ?= 30
soak:
	$(ENV) python bench/soak.py --runs $(RUNS)

exec:
	$(ENV) bash -c '$(CMD)'

docker:
	docker/build-image.sh

# The cluster image: Debian's Apptainer in its own sid root, no daemon (docker/build-apptainer.sh).
# Not part of `make test` (first build 25-45 minutes on 2 cores; later runs reuse the image and take about 1 minute).
image-check:
	nice docker/build-apptainer.sh

clean:
	rm -rf results .venv .venv-pip .venv-docs .pip-ca.pem .pytest_cache docs/_build docs/_generated
