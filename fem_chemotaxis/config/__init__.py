"""Configuration: TOML run files and safe expressions."""

from fem_chemotaxis.config.expressions import Expression, ExpressionError

__all__ = ["Expression", "ExpressionError"]
