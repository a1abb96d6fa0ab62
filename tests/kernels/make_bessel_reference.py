"""Write ``data/bessel_reference.npz``: log K_v(z) and its derivatives by mpmath at 50 digits.

The table is the independent oracle of ``test_bessel.py``.  Its points (v, z), each
with a region code:

* 0 ``strict``: |v| <= 100, 1e-10 <= z <= 1e4 (the 1e-13 accuracy region);
* 1 ``floor``: v in [-5, 5], z in [1e-3, 50] (the inputs of the speed floor F(n));
* 2 ``domain``: |v| <= 500, 1e-300 <= z <= 1e300 (the whole documented domain);
* 3 ``special``: a grid of integer, half-integer and switch-point orders times
  arguments from 1e-300 to 1e300, including both sides of z = 2.

Everything is computed with 50 significant digits beyond those of log K_v(z) itself
(so that numerical differentiation in v keeps 50 digits where |log K_v| ~ z ~ 1e300).
Columns: log K_v(z); ∂/∂z log K_v = -(K_(v-1) + K_(v+1)) / (2 K_v) (DLMF 10.29.2);
∂/∂v and ∂²/∂v² of log K_v by ``mpmath.diff``; log(K_(v+1)/K_v).  Every value
is computed from the float64 inputs as stored (v + 1 in exact arithmetic).

Usage: python tests/kernels/make_bessel_reference.py        (several minutes)
"""
import multiprocessing
import pathlib

import mpmath as mp
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent / "data" / "bessel_reference.npz"
REGIONS = ("strict", "floor", "domain", "special")


def points():
    rng = np.random.default_rng(1234)
    strict_v = np.concatenate([rng.uniform(-100.0, 100.0, 600), rng.uniform(-8.0, 8.0, 600)])
    strict_z = 10.0 ** rng.uniform(-10.0, 4.0, 1200)
    floor_v = rng.uniform(-5.0, 5.0, 400)
    floor_z = np.exp(rng.uniform(np.log(1e-3), np.log(50.0), 400))
    domain_v = np.concatenate([rng.uniform(-500.0, 500.0, 500), rng.uniform(-10.0, 10.0, 300)])
    domain_z = 10.0 ** rng.uniform(-300.0, 300.0, 800)
    orders = [0.0, 0.5, -1.0, 1.5, 2.0, -3.0, 6.5, np.nextafter(6.5, 7.0), -10.5, 20.0, 20.5, -100.0, 500.0]
    args = [1e-300, 1e-100, 1e-10, 1e-3, 1.0, 2.0, np.nextafter(2.0, 3.0), 7.5, 1e3, 1e10, 1e100, 1e300]
    special_v, special_z = (a.ravel() for a in np.meshgrid(orders, args, indexing="ij"))
    v = np.concatenate([strict_v, floor_v, domain_v, special_v])
    z = np.concatenate([strict_z, floor_z, domain_z, special_z])
    region = np.concatenate([np.full(n, k) for k, n in enumerate([1200, 400, 800, special_v.size])])
    return v, z, region


def reference(vz):
    v, z = (mp.mpf(float(x)) for x in vz)
    mp.mp.dps = 20
    size = abs(mp.log(mp.besselk(v, z)))
    mp.mp.dps = 50 + max(0, int(mp.log10(size + 1)))

    def log_k(order):
        return mp.log(mp.besselk(order, z))

    k = mp.besselk(v, z)
    k_up = mp.besselk(v + 1, z)
    k_down = mp.besselk(v - 1, z)
    return (
        float(mp.log(k)),
        float(-(k_down + k_up) / (2 * k)),
        float(mp.diff(log_k, v)),
        float(mp.diff(log_k, v, 2)),
        float(mp.log(k_up / k)),
    )


def main():
    v, z, region = points()
    with multiprocessing.Pool() as pool:
        rows = np.array(pool.map(reference, zip(v, z), chunksize=16))
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(
        OUT, v=v, z=z, region=region, regions=np.array(REGIONS), log_k=rows[:, 0], dlogk_dz=rows[:, 1],
        dlogk_dv=rows[:, 2], d2logk_dv2=rows[:, 3], log_ratio=rows[:, 4],
    )
    print(f"wrote {len(v)} points to {OUT}")


if __name__ == "__main__":
    main()
