"""Workflows over the layers below, re-exported as calib's public Python API (`calib.run`,
`calib.fit`, ...): each returns Python objects and xarray Datasets; the command line writes them.
"""
