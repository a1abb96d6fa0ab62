"""Numerical constants shared by both kernel twins (numpy and stdlib only).

Every threshold used by a CPU twin and its JAX twin is defined here once, with a
note on how it was chosen, so that the twins cannot drift apart.
"""
import math

LOG_2 = math.log(2.0)
LOG_PI = math.log(math.pi)
LOG_2PI = math.log(2.0 * math.pi)
HALF_LOG_2PI = 0.5 * LOG_2PI
EULER_GAMMA = 0.57721566490153286060651209008240243

# ---------------------------------------------------------------- Bessel K_v(z)
# Documented domain of log_kv: |v| <= LOG_KV_MAX_ORDER, LOG_KV_MIN_ARG <= z <= LOG_KV_MAX_ARG.
LOG_KV_MAX_ORDER = 500.0
LOG_KV_MIN_ARG = 1e-300
LOG_KV_MAX_ARG = 1e300

# ------------------------------------------------- Bessel K_v(z) by quadrature
# The trapezoid window of K_v(z) = ∫_0^∞ exp(-z cosh t) cosh(vt) dt keeps every
# t where the log-integrand is within LOG_KV_WINDOW_DROP of its peak: the part
# left out is below exp(-40) ~ 4e-18 of the integral.
LOG_KV_WINDOW_DROP = 40.0
# Trapezoid intervals on that window.
LOG_KV_QUAD_NODES = 128
