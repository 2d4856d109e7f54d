"""Spot-check a causal LongAttn run against float64 in numpy: sampled rows of O and LSE.
Usage: python3 bench/spot_check.py DIR   (DIR holds q.npy, k.npy, v.npy, o.npy, lse.npy of a --causal run)"""
import numpy as np, sys
d = sys.argv[1]
q = np.load(f"{d}/q.npy", mmap_mode="r"); k = np.load(f"{d}/k.npy", mmap_mode="r"); v = np.load(f"{d}/v.npy", mmap_mode="r")
o = np.load(f"{d}/o.npy", mmap_mode="r"); lse = np.load(f"{d}/lse.npy", mmap_mode="r")
S, H, D = q.shape
rng = np.random.default_rng(3)
rows = sorted(set([0, 1, 255, 256, 4095, S // 2, S - 1] + list(rng.integers(0, S, 9))))
worst = 0.0; worst_lse = 0.0
for i in rows:
    for h in range(H):
        kk = np.asarray(k[: i + 1, h, :], dtype=np.float64); vv = np.asarray(v[: i + 1, h, :], dtype=np.float64)
        s = kk @ np.asarray(q[i, h, :], dtype=np.float64) / np.sqrt(D)
        m = s.max(); p = np.exp(s - m); l = p.sum()
        ref = (p @ vv) / l; ref_lse = m + np.log(l)
        worst = max(worst, float(np.abs(ref - o[i, h, :]).max())); worst_lse = max(worst_lse, abs(ref_lse - float(lse[i, h])))
print(f"rows checked: {len(rows)} {rows}")
print(f"max |O - float64 ref| = {worst:.3e}, max |LSE - ref| = {worst_lse:.3e}, max|V| = {float(np.abs(v[:100000]).max()):.3f}")
