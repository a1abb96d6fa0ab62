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

# ------------------------------------------------------------- Bregman solvers
# Solvers that work on a closed box (L-BFGS-B) use [lo + m, hi - m] with
# m = BREGMAN_BOUND_MARGIN * max(1, |bound|): log-partitions are infinite on the
# boundary, and 1e-12 is far below any parameter resolution that matters.
BREGMAN_BOUND_MARGIN = 1e-12
# Armijo sufficient-decrease constant of the damped Newton line search.
BREGMAN_ARMIJO = 1e-4
# The Newton line search accepts a step whose objective rises by at most
# BREGMAN_ROUNDOFF * (1 + |f|): near the optimum the decrease is below the
# rounding of f, and the gradient criterion (not f) decides convergence.
BREGMAN_ROUNDOFF = 1e-14
# Step halvings tried by the Newton line search before it declares a stall.
BREGMAN_MAX_HALVINGS = 60
# Fraction of the distance to the boundary a Newton step may cover.
BREGMAN_BOUNDARY_FRACTION = 0.99

# ------------------------------------------------------ digamma and its inverse
# psi(x) and psi'(x) use the recurrence up to y = x + DIGAMMA_SHIFT and then the
# asymptotic series DLMF 5.11.2 through y^-14: at y >= 10 the first omitted term
# is below 5e-17 relative.
DIGAMMA_SHIFT = 10.0
# Newton steps (in log alpha) of digamma_inv from Minka's start: that start is
# within 1.5 % of the root for every c < 0 and each step squares the error
# (constant ~1/2), so 4 steps reach 1e-17; one more is margin.
DIGAMMA_INV_NEWTON_STEPS = 5

# ------------------------------------------------------ numba parallel threshold
# Arrays of at most SERIAL_MAX_SIZE elements run on one thread: below about a
# thousand elements the start-up of numba's parallel loop costs more than it saves.
SERIAL_MAX_SIZE = 1000
