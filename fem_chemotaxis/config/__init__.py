"""Configuration: TOML run files validated into plain objects before anything runs."""

from fem_chemotaxis.config.document import ConfigDocument, load_config
from fem_chemotaxis.config.run_config import ConfigError, MeshConfig, RunConfig, parse_config
from fem_chemotaxis.config.settings import AdaptSettings, Discretisation, OutputSettings, SolverSettings, TimeSettings

__all__ = [
    "AdaptSettings",
    "ConfigDocument",
    "ConfigError",
    "Discretisation",
    "MeshConfig",
    "OutputSettings",
    "RunConfig",
    "SolverSettings",
    "TimeSettings",
    "load_config",
    "parse_config",
]
