"""Benchmark cases; each module runs one measurement as its own process and prints JSON."""
