"""Visualisation: gather distributed fields onto one rank and write PNG pictures."""

from fem_chemotaxis.viz.gather import gather_grid
from fem_chemotaxis.viz.pictures import (
    PANEL_WIDTH,
    VIEWS_3D,
    SpeciesPictures,
    orthogonal_slices,
    save_small_copy,
    save_species_png,
    save_time_series_png,
)

__all__ = [
    "PANEL_WIDTH",
    "VIEWS_3D",
    "SpeciesPictures",
    "gather_grid",
    "orthogonal_slices",
    "save_small_copy",
    "save_species_png",
    "save_time_series_png",
]
