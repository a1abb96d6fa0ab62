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
# K_v(z) = ∫_0^∞ exp(-z cosh t) cosh(vt) dt by the trapezoid rule on a window that
# keeps every t where the log-integrand is within LOG_KV_WINDOW_DROP of its peak:
# the mass left out is below exp(-38) ~ 3e-17 of the integral.
LOG_KV_WINDOW_DROP = 38.0
# Newton steps for the left end of that window (``_grid`` in both twins).  The equation is
# convex and the iterates come down on its root from above, so every iterate is a safe
# end: a step left out only widens the window, never cuts the integrand.
LOG_KV_LEFT_NEWTON_STEPS = 4
# Trapezoid step h with 1/h² = 1/LOG_KV_STEP_FLAT² + r/LOG_KV_STEP_PEAK², r = hypot(v, z).
# The aliasing error of the rule is about |K_(v + 2πi/h)(z)| / K_v(z); on a grid of
# 150 (v, z) pairs (mpmath at 40 digits) the largest step that keeps it below 4e-16
# is about 0.26-0.29 where the integrand is flat (small z: set by the strip
# |Im t| < π/2 of exp(-z cosh t)) and about 0.78/sqrt(r) where it is a sharp peak of
# curvature ~r.  Both constants carry a 10% margin below those measured limits.
LOG_KV_STEP_FLAT = 0.235
LOG_KV_STEP_PEAK = 0.70
# Up to this order the quadrature nodes get e^s - 1 and e^(-s) by recurrence
# (one exp per node); the recurrence leaves an absolute error of a few eps in
# e^s - 1, which enters the exponent multiplied by the order (1e-14 at order 20).
LOG_KV_RECURRENCE_MAX_ORDER = 20.0
# Intervals of the JAX twin's fixed grid.  The numba twin uses as many as its step
# needs; outside the series region below that is at most 59 (scanned over
# |v| <= 500, 1e-300 <= z <= 1e300: the worst case is |v| just above
# LOG_KV_SERIES_MAX_ORDER at z = 1e-300, where the left tail of K_(v-1) is long).
LOG_KV_MAX_NODES = 64

# ------------------------------------- Bessel K_v(z) by Temme's small-z series
# For z <= LOG_KV_SERIES_MAX_ARG and |v| <= LOG_KV_SERIES_MAX_ORDER, K_mu and
# K_(mu±1), |mu| <= 1/2, come from Temme's series and K_v from the upward
# recurrence K_(m+1) = K_(m-1) + (2m/z) K_m.  There the quadrature would need the
# most nodes (the integrand is flat over [0, log(2/z)]) while the series is 2-3
# times cheaper.  Term k is about (z²/4)^k / k!² of the first: at z = 2 sixteen
# terms leave < 1e-26 (mpmath check: 1e-14 on log K_v, its v-derivatives and the
# ratios there); the numba twin stops once a term is below LOG_KV_SERIES_TOL of
# every sum.  Above order 6.5 the quadrature needs at most 59 intervals anywhere.
LOG_KV_SERIES_MAX_ARG = 2.0
LOG_KV_SERIES_MAX_ORDER = 6.5
LOG_KV_SERIES_TERMS = 16
LOG_KV_SERIES_TOL = 2.0 ** -60
# rho(x) = (1 - e^(-x))/x of the series comes from its Taylor series sum_k (-x)^k/(k+1)!
# where |x| < RHO_TAYLOR_RADIUS, from the closed form elsewhere: at |x| = 1/2 the first
# term left out, 0.5^18/19!, is below 1e-22, while the closed form loses about eps/|x|
# to the cancellation in 1 - e^(-x), which is why it is not used below 1/2.
RHO_TAYLOR_RADIUS = 0.5
RHO_TAYLOR = tuple((-1.0) ** k / math.factorial(k + 1) for k in range(18))
# The upward recurrences (Temme series, half-integer orders) keep K = exp(log K) * product:
# a ratio above LOG_KV_BIG_RATIO goes into log K as its logarithm, smaller ones multiply
# the product, which moves into log K once above LOG_KV_PRODUCT_MAX.  The product thus
# stays below 1e200 * 1e100 = 1e300, short of overflow, and a logarithm is taken only
# every ~200 decades of growth rather than at every step.
LOG_KV_BIG_RATIO = 1e100
LOG_KV_PRODUCT_MAX = 1e200
# Taylor coefficients of 1/Γ(1+x) at x = 0 (mpmath, 40 digits).  The first one left
# out is -5.3e-15; times (1/2)^23 it is below 1e-21, so for |x| <= 1/2 the truncated
# series and its first two derivatives are exact to double precision.
RGAMMA1P_TAYLOR = (
    1.0,
    0.5772156649015329,
    -0.6558780715202539,
    -0.04200263503409524,
    0.16653861138229148,
    -0.04219773455554433,
    -0.009621971527876973,
    0.0072189432466631,
    -0.0011651675918590652,
    -0.00021524167411495098,
    0.0001280502823881162,
    -2.013485478078824e-05,
    -1.2504934821426706e-06,
    1.133027231981696e-06,
    -2.056338416977607e-07,
    6.116095104481416e-09,
    5.002007644469223e-09,
    -1.18127457048702e-09,
    1.0434267116911005e-10,
    7.782263439905071e-12,
    -3.696805618642206e-12,
    5.100370287454476e-13,
    -2.0583260535665066e-14,
)

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

# ------------------------------------------------------------------ E-step
# VG singularity: with b = 0 a row at x = mu has posterior b + Q = 0, where E[1/Y | x]
# is infinite for p - d/2 <= 1.  The E-step statistics use b + Q >= ESTEP_VG_B_FLOOR * d / alpha
# (alpha = a + gamma' Sigma^-1 gamma, the posterior a).  d / alpha is the scale of Q under the
# model (E Q = d E Y for gamma = 0, and E Y ~ p / alpha), and it moves with the model's scale
# invariance (Y -> cY, Sigma -> Sigma / c, Q -> cQ, alpha -> alpha / c).  At the floor a row's
# weight E[1/Y | x] is at most ~1e8 times a typical row's, so the cancellation in the M-step's
# Sigma = S6 - ... + s2 mu mu' - ... costs at most ~1e8 * eps relative; rows of the model
# reach Q < 1e-8 d / alpha with probability ~1e-4 d^(-d/2) or less.  The floor applies to
# every family (it changes nothing when b is above it): GH and NIG fits that approach the VG
# limit reach b ~ 1e-100 and below, where mu can settle on a data row whose p - d/2 < 1
# posterior has E[1/Y | x] -> inf as Q -> 0, and without the floor the iterates overflow.
ESTEP_VG_B_FLOOR = 1e-8
# The rows are cut into min(n, ESTEP_PARTS) contiguous parts (a function of n only): the
# prange runs over parts, each sums its rows serially into its own accumulator, and the
# part sums are added in order, so results are the same for any thread count.  64 parts
# balance two to sixteen threads, and their accumulators (64 (d + 1)(d + 2)/2 floats) stay
# far below the size of X.
ESTEP_PARTS = 64
# Up to this dimension the E-step whitens rows by forward substitution and accumulates S6 in
# its one numba pass; above it BLAS (trsm, syrk) does both.  Measured at n = 1e5 (GH, two
# CPU cores, two numba threads, ``estep_cpu._statistics_fused`` against
# ``_statistics_blocked`` at the same d): the numba pass is faster up to d = 64 (d = 50:
# 0.26 s vs 0.42 s), BLAS from d ~ 100 (single-threaded BLAS: 0.48 s vs 0.77 s at d = 100).
ESTEP_FUSED_MAX_DIM = 64
# Rows per BLAS block: the scratch is one (ESTEP_BLOCK_ROWS, d) buffer (8.9 MB at d = 68).
ESTEP_BLOCK_ROWS = 16384

# ------------------------------------------------------ digamma and its inverse
# psi(x) and psi'(x) use the recurrence up to y = x + DIGAMMA_SHIFT and then the
# asymptotic series DLMF 5.11.2 through y^-14: at y >= 10 the first omitted term
# is below 5e-17 relative.
DIGAMMA_SHIFT = 10.0
# Newton steps (in log alpha) of digamma_inv from Minka's start: that start is
# within 1.5 % of the root for every c < 0 and each step squares the error
# (constant ~1/2), so 4 steps reach 1e-17; one more is margin.
DIGAMMA_INV_NEWTON_STEPS = 5
# Minka's start alpha0 = (3 - x + sqrt((x - 3)^2 + 24 x)) / (12 x), x = -c, is evaluated as
# written up to x = DIGAMMA_INV_GUESS_SWITCH and rationalized above, 2 / (sqrt(...) + x - 3):
# 3 is where x - 3 changes sign, so each form adds terms of one sign and neither cancels.
DIGAMMA_INV_GUESS_SWITCH = 3.0

# --------------------------------------------------------- serial or parallel
# Every numba array kernel is compiled twice from one body (``_numba.array_kernel``); a call
# runs the serial variant up to the kernel's threshold, counted in the unit of its outer
# loop, and the parallel one above it.  A parallel call starts its threads: 1-3 us when the
# cores are free, but up to an OS time slice (milliseconds) when other processes hold them.
# Each threshold lies between the size from which the parallel variant wins on free cores
# and the size whose serial work is about half a millisecond: up to it a call loses at most
# half of a short serial time on free cores, and never waits for busy ones.  The figures
# (two numba threads; the fastest of 200 calls, i.e. one no other process delayed) come from
#     python benchmarks/serial_threshold.py
# Elements of the Bessel kernels (log_kv, kv_ratio, log_kv_derivatives), gig_moments and
# gig_fisher: 0.2-0.4 us each; parallel wins from 16-32 elements; 64 are 15-25 us of work.
LOG_KV_SERIAL_MAX_SIZE = 64
# Elements of digamma_inv: 0.3 us each; parallel wins from 32; 1000 are 0.3 ms.
DIGAMMA_INV_SERIAL_MAX_SIZE = 1000
# Elements of gig_cdf: 3.2 us each; parallel wins from 2; 128 are 0.4 ms.
GIG_CDF_SERIAL_MAX_SIZE = 128
# eta -> theta problems of gig_eta_to_theta: 4-5 us each; parallel wins from 2; 16 are 70 us.
GIG_SERIAL_MAX_PROBLEMS = 16
# Rows of the E-step kernels (estep_statistics, posterior_moments, mixture_log_density, and
# estep_statistics_many counting the rows of one problem): 0.14 us each (NIG, d = 2);
# parallel wins from at most 64; 4096 are 0.55 ms.
ESTEP_SERIAL_MAX_ROWS = 4096
# Random streams of gig_sample (GIG_SAMPLE_BLOCK draws, 0.5 ms each): one block is one
# thread's work, so only a single block runs serially.
GIG_SAMPLE_SERIAL_MAX_BLOCKS = 1

# ---------------------------------------------------------------- GIG sampler
# Regimes of Hormann & Leydold (2014) for the standardized GIG(lam, omega), lam = |p|,
# omega = sqrt(ab): ratio-of-uniforms with mode shift where lam >= 1 or omega > 1;
# without shift where omega >= min(1/2, (2/3) sqrt(1 - lam)); their rejection method
# with a constant/power/exponential hat below that.  These are the paper's boundaries,
# inside which each method's rejection constant is bounded uniformly (the acceptance
# rates, computed exactly over grids by the tests, are above 0.65 for all three).
# lam = 1 joins the mode-shift method, which is then the shifted ratio-of-uniforms of an
# exponential law and stays finite as omega -> 0.  No threshold on small omega is needed:
# the mode-shift method works in z = omega * x and the hat method in log x and log omega,
# so nothing overflows or underflows for any a, b > 0; a = 0 or b = 0 exactly are the
# InverseGamma and Gamma laws.
GIG_SHIFT_MIN_LAMBDA = 1.0
GIG_SHIFT_MIN_OMEGA = 1.0
GIG_ROU_MIN_OMEGA = 0.5
GIG_ROU_MIN_OMEGA_SLOPE = 2.0 / 3.0
# Roots of the mode-shift bounding cubic, by bracketed Newton: stop at a relative step of
# GIG_ROOT_RTOL (a few ulps; near the root each step squares the error) and in any case
# after GIG_ROOT_MAX_STEPS steps, when bisection alone has shrunk the bracket by 2^-100.
# That cap binds only for lam -> 1 with omega < 1e-60, where the lower root lies within
# mu * sqrt(omega/2) of -mu and |u_lo| <= mu < 1e-60 is a negligible part of the rectangle.
GIG_ROOT_RTOL = 4e-16
GIG_ROOT_MAX_STEPS = 100
# Largest sqrt(ab) the sampler accepts: the mode-shift method forms tau + 2*sqrt(ab) and
# mu + tau, which overflow near 9e307; 1e300 leaves a wide margin, and at that omega the
# law's relative spread (~omega^-1/2 = 1e-150) is far below double precision anyway.
GIG_MAX_OMEGA = 1e300
# Draws per random stream of gig_sample: draw i comes from stream i // GIG_SAMPLE_BLOCK (the
# unit of parallel work), so changing it changes every sample.  With 2^14 draws (128 kB of
# output) per stream, seeding a stream (one SeedSequence child, in Python) is a small part
# of its work, and samples of more than 2^14 draws already run on two threads.
GIG_SAMPLE_BLOCK = 1 << 14

# ---------------------------------------------------------------- GIG kernels
# Turán quantity K_{u+2}K_u/K_{u+1}^2 - 1 ~ 1/w: from the Hankel expansion (DLMF
# 10.40.2, GIG_HANKEL_TERMS terms) where w >= GIG_HANKEL_MIN_ARG and
# (u+2)^2 <= GIG_HANKEL_ORDER_RATIO * w.  There the term ratio is at most
# max(1/(4k), (2k-1)^2/(8kw)) and 16 terms leave < 1e-16; below, the direct
# formula loses eps * w relative, at most ~1e-14.
GIG_HANKEL_MIN_ARG = 50.0
GIG_HANKEL_ORDER_RATIO = 0.5
GIG_HANKEL_TERMS = 16
# Newton on the GIG dual: Cholesky pivots of the unit-diagonal scaled Hessian below
# GIG_NEWTON_MIN_PIVOT (~50 ulps of 1) are rounding noise; the step is then retried
# with GIG_NEWTON_RIDGE added to the scaled diagonal (a Levenberg step).
GIG_NEWTON_MIN_PIVOT = 1e-14
GIG_NEWTON_RIDGE = 1e-8
# Step halvings of its line search before it stops as stalled: a Newton step damped
# by 2^-30 means the quadratic model is useless there.
GIG_NEWTON_MAX_HALVINGS = 30
# Once the residual meets the tolerance, up to GIG_POLISH_STEPS more steps (with the
# last Hessian) polish the point while each lowers the residual: one step takes a
# quadratically convergent iterate to ~10 ulps of eta, the second to the last few,
# which matters where the map is ill-conditioned: GIG(-2, 1e-6, 1) (kappa ~ 2.5e6)
# comes back to 1.4e-8 after one step, to 2.2e-10 after two; each costs one Bessel
# evaluation (~7 % of a cold solve).
GIG_POLISH_STEPS = 2
# The Gamma (InverseGamma) seed takes b (a) from a first-order correction of its
# E[1/Z] (E[Z]); where that is undefined, the InverseGaussian seed's value times
# GIG_SEED_FREE_SCALE.
GIG_SEED_FREE_SCALE = 0.1
# GIG distribution function: Gauss-Legendre with GIG_CDF_NODES nodes over the window
# where the log-density in u = log(y/s) stays within GIG_CDF_WINDOW_DROP of its value
# at the end point (the part left out is below e^-40 ~ 4e-18 of it).  The window end is
# found by GIG_CDF_BISECTIONS halvings of a bracket at most |u| + GIG_CDF_OVERFLOW_REACH
# long (2^-60 of 2300 is below 1e-15); at that reach w cosh u >= 1e-300 e^800 / 2 > 1e47
# exceeds any drop.
GIG_CDF_WINDOW_DROP = 40.0
GIG_CDF_NODES = 64
GIG_CDF_BISECTIONS = 60
GIG_CDF_OVERFLOW_REACH = 800.0

# ------------------------------------- Bessel K_v(z) at half-integer orders (numba twin)
# For |v| = n + 1/2 with n <= LOG_KV_HALF_MAX_ORDER and LOG_KV_MIN_ARG <= z <= LOG_KV_MAX_ARG,
# log K_v, both ratios and ∂/∂v log K_v come from K_(1/2) = sqrt(π/(2z)) e^(-z), the
# recurrence in the order and ∂/∂v log K_v at v = 1/2, e^(2z) E_1(2z) (``bessel_half_cpu``):
# n steps of a few flops and one division instead of a quadrature of 15-60 nodes.  32
# covers the posterior order -(d+1)/2 of the NIG mixture for every even d the fused
# E-step handles (ESTEP_FUSED_MAX_DIM = 64).
LOG_KV_HALF_MAX_ORDER = 32
# e^x E_1(x): the power series DLMF 6.6.2 below EXP_E1_SERIES_MAX_ARG (EXP_E1_SERIES_TERMS
# terms: the first left out is below 0.5^17 / (17 * 17!) ~ 4e-22 of E_1; the sum loses at
# most a factor 2 to cancellation there); Chebyshev expansions on [0.5, 1), [1, 2), ...,
# [16, 32) (EXP_E1_CHEBYSHEV, written by tests/kernels/make_exp_e1_chebyshev.py); above,
# EXP_E1_CF_TERMS levels of the continued fraction 1/(x + 1 - 1/(x + 3 - 4/(x + 5 - ...)))
# (DLMF 6.9.1 contracted), which at x = 32 is within 1e-16 after 12 levels (mpmath check).
EXP_E1_SERIES_MAX_ARG = 0.5
EXP_E1_SERIES_TERMS = 16
EXP_E1_CF_MIN_ARG = 32.0
EXP_E1_CF_TERMS = 14
EXP_E1_CHEBYSHEV_TERMS = 22
EXP_E1_CHEBYSHEV = (
    # [0.5, 1)
    0.7397104375565782, -0.16066267526273043, 0.019556273154041407, -0.002567021361642298,
    0.00035464369991122183, -5.079132327997468e-05, 7.468151527015572e-06, -1.120154598984603e-06,
    1.7063678692164288e-07, -2.6317240317033937e-08, 4.100043063508204e-09, -6.441269429347992e-10,
    1.0190999781597551e-10, -1.622092429652184e-11, 2.5953147772503353e-12, -4.171290585064088e-13,
    6.730993469799268e-14, -1.0899809974101667e-14, 1.7706152449960309e-15, -2.884395439596697e-16,
    4.7107600266588705e-17, -7.711336588859663e-18,
    # [1, 2)
    0.46324352838580507, -0.11534497887909514, 0.01528397025751147, -0.002118728756311583,
    0.000303644266477795, -4.462280219559204e-05, 6.6860705980390665e-06, -1.0172755596608788e-06,
    1.5670012692782216e-07, -2.4383760524831098e-08, 3.826482479452566e-09, -6.047804755560207e-10,
    9.617138194019332e-11, -1.537390419933619e-11, 2.468995367176891e-12, -3.9811961621558646e-13,
    6.442640845138054e-14, -1.0459312166256069e-14, 1.7028977913815833e-15, -2.779702909448489e-16,
    4.548073989047679e-17, -7.457357170490533e-18,
    # [2, 4)
    0.2727218741818481, -0.0758594431393776, 0.01087113362721191, -0.0015949715567875958,
    0.0002384274345511502, -3.6183924316441816e-05, 5.559557819770056e-06, -8.630076592481117e-07,
    1.351219784356939e-07, -2.1311383806035657e-08, 3.3823752731911783e-09, -5.397496561703579e-10,
    8.654169795041139e-11, -1.3933954737249739e-11, 2.251818649655427e-12, -3.6511435508844504e-13,
    5.937633647842904e-14, -9.681899929331819e-15, 1.5825650930050371e-15, -2.5925185012054543e-16,
    4.2555815935953854e-17, -6.998425052448756e-18,
    # [4, 8)
    0.1521211124559018, -0.0459218373920122, 0.007018311796195999, -0.0010839579386853677,
    0.00016891784555893467, -2.6525766480928563e-05, 4.1931180156783205e-06, -6.66669327781297e-07,
    1.0653177474343602e-07, -1.7099560522195914e-08, 2.755563607626969e-09, -4.45626791621172e-10,
    7.229530996554045e-11, -1.1762285086166483e-11, 1.918664851080139e-12, -3.137117150318042e-13,
    5.140409364202696e-14, -8.439602069814206e-15, 1.38814433751553e-15, -2.2870443139743997e-16,
    3.773874324198387e-17, -6.2362649839919174e-18,
    # [8, 16)
    0.08137707193928488, -0.025949525281985242, 0.00415603126575249, -0.0006683050248783166,
    0.00010785491972338033, -1.7463087104988416e-05, 2.8358575119017813e-06, -4.617570170851645e-07,
    7.537130399787535e-08, -1.233025047337126e-08, 2.0213032102598795e-09, -3.3198162124844246e-10,
    5.4620624379152825e-11, -9.001254462613968e-12, 1.485602768831329e-12, -2.455332013049584e-13,
    4.0633537160929777e-14, -6.732692975186007e-15, 1.116835204334374e-15, -1.8546195734722035e-16,
    3.0828903720514826e-17, -5.1294789258059014e-18,
    # [16, 32)
    0.042301131773816544, -0.013947924557296178, 0.0023028070600521855, -0.00038070232589256355,
    6.301686279831608e-05, -1.0443300080835153e-05, 1.7325979123852314e-06, -2.8774563760870405e-07,
    4.783489434947289e-08, -7.95943500600254e-09, 1.3255591540855334e-09, -2.2094043950526507e-10,
    3.6854611351432226e-11, -6.1522170291890515e-12, 1.0277288876405006e-12, -1.7179781436664724e-13,
    2.873657078663417e-14, -4.809694704578627e-15, 8.054771582551048e-16, -1.3496798830252232e-16,
    2.2627654985859616e-17, -3.7955054185390536e-18,
)

# ------------------------------------------- univariate laws of a mixture (cdf, sf, quantiles)
# log F(x) = log ∫ exp(ℓ(t)) dt with y = e^t (``univariate_cdf_cpu``): the trapezoid rule on the
# window where ℓ stays within UNIVARIATE_CDF_WINDOW_DROP of its peak (the mass left out is
# below e^-40 ~ 4e-18 of the integral, times the window's length in units of the step).
UNIVARIATE_CDF_WINDOW_DROP = 40.0
# Trapezoid step h with 1/h² = 1/UNIVARIATE_CDF_STEP_FLAT² + κ/UNIVARIATE_CDF_STEP_PEAK², κ = -ℓ''
# at the peak.  The integrand is analytic in the strip |Im t| < π/2 (exp(-a e^t / 2) and
# Φ(z(e^t)) grow beyond it), so the flat limit is the one of the Bessel quadrature
# (LOG_KV_STEP_FLAT); a Gaussian peak of variance 1/κ has aliasing error 2 exp(-2π²/(κh²)),
# below 1e-16 for h <= 0.70/sqrt(κ).  Both were checked against mpmath (50 digits) on the
# laws of tests/kernels/test_univariate_cdf.py, where they leave < 1e-13 relative.
UNIVARIATE_CDF_STEP_FLAT = 0.235
UNIVARIATE_CDF_STEP_PEAK = 0.70
# Most nodes of one quadrature (the numba twin uses ceil(window / h) + 1, the JAX twin always
# this many).  Single-exponential tails of the integrand in t (Gamma, b = 0, as t -> -inf and
# InverseGamma, a = 0, as t -> +inf, where Φ tends to 1/2 or 1) are cut where exp(ℓ) is c e^(pt)
# to UNIVARIATE_CDF_TAIL_EPS relative, and the trapezoid lattice beyond the cut is summed in
# closed form (a geometric series), so no window needs more nodes than this.
UNIVARIATE_CDF_MAX_NODES = 512
UNIVARIATE_CDF_TAIL_EPS = 1e-17
# Beyond the cut of a tail where Φ(σz) -> 1, |σz| >= UNIVARIATE_CDF_TAIL_Z (Φ(-19) ~ 1e-80).
UNIVARIATE_CDF_TAIL_Z = 20.0
# The window never leaves |t| <= UNIVARIATE_CDF_MAX_LOG_Y (y = e^t stays far from overflow).
UNIVARIATE_CDF_MAX_LOG_Y = 690.0
# Safeguarded Newton for the peak of ℓ: at most UNIVARIATE_CDF_PEAK_STEPS steps, each at most
# UNIVARIATE_CDF_MAX_MOVE long in t, stopped once a step is below UNIVARIATE_CDF_PEAK_TOL (the
# peak only anchors the window; its value is taken where the iteration stops).
UNIVARIATE_CDF_PEAK_STEPS = 40
UNIVARIATE_CDF_MAX_MOVE = 4.0
UNIVARIATE_CDF_PEAK_TOL = 1e-3
# Newton steps for each end of the window: from inside, one step of a concave ℓ lands outside,
# and from outside the iterates come down on the end monotonically, so each is a safe end.  An
# end whose drop is within UNIVARIATE_CDF_END_SLACK of the target is taken at once.
UNIVARIATE_CDF_END_STEPS = 8
UNIVARIATE_CDF_END_SLACK = 2.0
# log Φ(u) below UNIVARIATE_CDF_NDTR_ASYMPTOTIC comes from the asymptotic series
# Φ(u) = φ(u)/(-u) Σ_k (-1)^k (2k-1)!! u^(-2k) (DLMF 7.12.1) with UNIVARIATE_CDF_NDTR_TERMS terms:
# at u = -20 the first term left out is 17!!/20^18 ~ 1e-16.  Above it, erfc (Φ > 1e-89, so
# exp(ℓ_Y - peak) * Φ cannot overflow inside the window).  -20 is also where
# jax.scipy.special.log_ndtr switches to its own 3-term series (~1e-9 relative at u = -20),
# which the JAX twin therefore does not use below it.
UNIVARIATE_CDF_NDTR_ASYMPTOTIC = -20.0
UNIVARIATE_CDF_NDTR_TERMS = 9
# Safeguarded Newton of the quantiles on log F (or log sf): stop at a relative step below
# UNIVARIATE_PPF_RTOL (a few ulps), in any case after UNIVARIATE_PPF_MAX_STEPS steps.
UNIVARIATE_PPF_RTOL = 1e-15
UNIVARIATE_PPF_MAX_STEPS = 100
# Newton converges quadratically: after a relative step δ the error left is about c δ², with c
# the relative curvature of log F (order 1 for these laws), so a step below
# UNIVARIATE_PPF_QUADRATIC_STEP (error ~1e-16) ends the iteration with the step taken.
UNIVARIATE_PPF_QUADRATIC_STEP = 1e-8
# Quantiles of one law at many probabilities start from a table: on each side, nodes every
# UNIVARIATE_PPF_TABLE_STEP in s = log(-log P) (P the probability of the side solved) between
# the smallest and largest s asked, y = asinh((x - x_c)/scale) solved there, and a cubic Hermite
# interpolant in s with the exact slopes dy/ds from the density.  y is close to linear in s in
# the exponential tails and to e^s/ν in the power-law tails, so the start's relative error is
# ~1e-9 and one Newton step ends the iteration.  The table (~2 x 140 solves over the full range
# 1e-300 <= P <= 1/2) pays for itself from UNIVARIATE_PPF_TABLE_MIN_SIZE probabilities on.
UNIVARIATE_PPF_TABLE_STEP = 0.05
UNIVARIATE_PPF_TABLE_MIN_SIZE = 4096
# Elements of the univariate kernels: a quadrature of 20-100 nodes and ~15 evaluations of
# ℓ and its derivatives each (several microseconds), so the parallel loop pays from a few hundred.
UNIVARIATE_CDF_SERIAL_MAX_SIZE = 256
# The numba loops run over min(n, UNIVARIATE_CDF_PARTS) contiguous parts of the elements (as the
# E-step's ESTEP_PARTS): inside a part the subordinator's log-normaliser ψ(p, a, b), one Bessel
# evaluation, is reused while consecutive elements share (p, a, b), as they do for one law.
UNIVARIATE_CDF_PARTS = 64
# The JAX twin sums its UNIVARIATE_CDF_MAX_NODES nodes in blocks of UNIVARIATE_CDF_JAX_BLOCK
# (a fori_loop over blocks): memory O(n * block) instead of O(n * nodes).
UNIVARIATE_CDF_JAX_BLOCK = 32
# Sharp steps (``univariate_cdf_cpu``, "Sharp steps"): where z(e^t) crosses 0 at t0 with
# K = sqrt(x'g') >= UNIVARIATE_CDF_SPLIT_RATIO * (|ℓ_Y'(t0)| + 1) the integral is split into the
# half-line ∫ exp(ℓ_Y) beyond t0 (Gauss-Legendre, UNIVARIATE_CDF_GL_FAR nodes, in t) and the step's
# correction ∫_0^W Φ(-w) [g(-w) - g(w)] dw in w = |z| (UNIVARIATE_CDF_GL_NEAR nodes, W =
# UNIVARIATE_CDF_SPLIT_W: Φ(-11) ~ 2e-28).  The ratio bounds g(-w)/g(0) by e^(W/4) (ℓ_Y concave),
# so nothing of the dead side is left beyond W.  Node counts checked against mpmath (50 digits).
UNIVARIATE_CDF_SPLIT_RATIO = 4.0
UNIVARIATE_CDF_SPLIT_W = 11.0
UNIVARIATE_CDF_GL_NEAR = 32
UNIVARIATE_CDF_GL_FAR = 48
# Where |ℓ| at the peak exceeds UNIVARIATE_CDF_LAPLACE_LEVEL the window cannot be resolved in
# float64 (its ulp exceeds the drop); log P is then ℓ(t*) + ½ log(2π/κ) - ψ (Laplace), whose
# error O(log κ) is far below 1e-10 |log P| there.
UNIVARIATE_CDF_LAPLACE_LEVEL = 1e15
