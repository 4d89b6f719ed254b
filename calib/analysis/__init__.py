"""Diagnostics oceanographers quote (SST, mixed-layer depth: one definition each), model-vs-
observation comparisons and figures. NumPy/xarray on saved trajectories; nothing here is differentiated.
"""
