"""Kinetic-to-macroscopic coefficients and the particle validation (issue #8)."""
