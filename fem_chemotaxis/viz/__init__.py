"""Visualisation: gather distributed fields onto rank 0 and write PNG pictures."""

from fem_chemotaxis.viz.gather import gather_grid
from fem_chemotaxis.viz.pictures import PANEL_WIDTH, save_species_png, save_time_series_png

__all__ = ["PANEL_WIDTH", "gather_grid", "save_species_png", "save_time_series_png"]
