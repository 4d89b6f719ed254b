"""Test configuration: float64 and strict rank promotion for every test."""

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

import os  # noqa: E402

os.environ.setdefault("CALIB_CACHE_DIR", "off")  # tests compile afresh (tests/test_cache.py tests the cache)
