"""calib: a differentiable 1-D ocean column model for calibrating vertical-mixing closures."""

__version__ = "0.1.0"
