"""fem_chemotaxis: finite elements for multi-species taxis-reaction systems (DOLFINx)."""

__version__ = "0.1.0"
__all__ = ["__version__"]
