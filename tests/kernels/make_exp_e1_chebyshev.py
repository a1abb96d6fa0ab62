"""Print ``EXP_E1_CHEBYSHEV`` for ``normix/_kernels/_constants.py``: Chebyshev coefficients of e^x E_1(x).

On each piece [lo, 2 lo), lo = 0.5, 1, ..., 16, the function f(x) = e^x E_1(x)
(DLMF 6.2.1) is expanded as sum_k c_k T_k(t), t = 2x/lo - 3, from its values at the
EXP_E1_CHEBYSHEV_TERMS + 18 Chebyshev points of the first kind, computed by mpmath at
40 digits.  The only singularity of f is the branch point x = 0, which lies three
half-widths from the centre of every piece, so |c_k| ~ (3 + sqrt 8)^(-k): the first
coefficient left out (k = 22) is about 1.2e-18 (f >= 0.03 there).

Usage: python tests/kernels/make_exp_e1_chebyshev.py
"""
import mpmath as mp

PIECES = 6
TERMS = 22
POINTS = TERMS + 18


def coefficients(lo):
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / POINTS) for k in range(POINTS)]
    values = [mp.e ** x * mp.e1(x) for x in (lo * (t + 3) / 2 for t in nodes)]
    out = []
    for j in range(TERMS):
        c = 2 * mp.fsum(v * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / POINTS) for k, v in enumerate(values)) / POINTS
        out.append(c / 2 if j == 0 else c)
    return out


def main():
    mp.mp.dps = 40
    print("EXP_E1_CHEBYSHEV = (")
    for piece in range(PIECES):
        lo = mp.mpf(2) ** piece / 2
        values = [repr(float(c)) for c in coefficients(lo)]
        print(f"    # [{float(lo):g}, {float(2 * lo):g})")
        for start in range(0, TERMS, 4):
            print("    " + " ".join(v + "," for v in values[start : start + 4]))
    print(")")


if __name__ == "__main__":
    main()
