"""The vocabulary every layer shares: errors, the table of model variables, scheme names.

No JAX, no NumPy: everything above may import it, it imports nothing of calib.
"""
