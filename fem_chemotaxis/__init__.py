"""fem_chemotaxis: finite elements for multi-species taxis-reaction systems (DOLFINx)."""

try:  # the pip route's DOLFINx wheels must load MPI before dolfinx and petsc4py are imported
    import dolfinx_solver  # noqa: F401
except ImportError:  # any other installation of DOLFINx
    pass

__version__ = "0.1.0"
__all__ = ["__version__"]
