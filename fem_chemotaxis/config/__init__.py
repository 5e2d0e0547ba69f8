"""Configuration: TOML run files validated into plain objects before anything runs."""

from fem_chemotaxis.config.run_config import ConfigError, MeshConfig, RunConfig, load_config, parse_config

__all__ = ["ConfigError", "MeshConfig", "RunConfig", "load_config", "parse_config"]
