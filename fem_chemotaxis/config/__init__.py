"""Configuration: TOML run files validated into plain objects before anything runs."""

from fem_chemotaxis.config.document import ConfigDocument, load_config
from fem_chemotaxis.config.run_config import ConfigError, MeshConfig, RunConfig, parse_config

__all__ = ["ConfigDocument", "ConfigError", "MeshConfig", "RunConfig", "load_config", "parse_config"]
