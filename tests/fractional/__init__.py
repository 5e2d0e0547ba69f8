"""Tests of spectral fractional diffusion and the fractional Keller-Segel models."""
