"""Hypothesis profiles of the reliability suite.

``fast`` (the default) runs few, derandomised examples so that the whole folder stays
near a minute in the fast suite; ``thorough`` (``NORMIX_HYPOTHESIS_PROFILE=thorough``)
runs many random examples and is meant for the slow command in ``README.md``.  Neither
has a deadline: the first example of a test pays for JAX and numba compilation.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast",
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("NORMIX_HYPOTHESIS_PROFILE", "fast"))
