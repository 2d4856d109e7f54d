package io.longattn.kernels;

import java.io.Serializable;

/**
 * Which keys each query may see. Query i sees key j iff lo(i) <= j < hi(i), where with
 * i' = i + (sk - sq) (bottom-right alignment, as FlashAttention):
 * lo(i) = left < 0 ? 0 : i' - left and hi(i) = right < 0 ? sk : i' + right + 1, clipped to [0, sk].
 * Both bounds are non-decreasing in i, which makes block-level questions O(1).
 */
public record MaskGeometry(int sq, int sk, int left, int right) implements Serializable {

    public long offset() {
        return (long) sk - sq;
    }

    public boolean unmasked() {
        return left < 0 && right < 0;
    }

    /** First key query i may see (may be >= hiKey(i): then the row is fully masked). */
    public int loKey(long i) {
        if (left < 0) return 0;
        long v = i + offset() - left;
        return (int) Math.max(0, Math.min(sk, v));
    }

    /** One past the last key query i may see. */
    public int hiKey(long i) {
        if (right < 0) return sk;
        long v = i + offset() + right + 1;
        return (int) Math.max(0, Math.min(sk, v));
    }

    public boolean allowed(long i, long j) {
        return j >= loKey(i) && j < hiKey(i);
    }

    /** Unmasked keys of query i. */
    public int rowKeys(long i) {
        return Math.max(0, hiKey(i) - loKey(i));
    }

    /** Unmasked (query, key) pairs for queries [q0, q0 + qLen). */
    public long unmaskedPairs(int q0, int qLen) {
        if (unmasked()) return (long) qLen * sk;
        long total = 0;
        for (int i = q0; i < q0 + qLen; i++) {
            total += rowKeys(i);
        }
        return total;
    }

    /** Unmasked pairs between queries [q0, q0+qLen) and keys [k0, k0+kLen). */
    public long unmaskedPairs(int q0, int qLen, int k0, int kLen) {
        long total = 0;
        for (int i = q0; i < q0 + qLen; i++) {
            int lo = Math.max(loKey(i), k0), hi = Math.min(hiKey(i), k0 + kLen);
            if (hi > lo) total += hi - lo;
        }
        return total;
    }

    /** True when no query of [q0, q0+qLen) may see any key of [k0, k0+kLen): the block is skipped. */
    public boolean blockFullyMasked(int q0, int qLen, int k0, int kLen) {
        // Bounds are >= -1 with -1 unbounded, so consecutive rows' ranges touch or overlap and the
        // union over the chunk is exactly [loKey(q0), hiKey(last)) (empty rows clip to 0 or sk).
        return unionHi(q0, qLen) <= k0 || unionLo(q0, qLen) >= k0 + kLen;
    }

    /** True when every query of [q0, q0+qLen) may see every key of [k0, k0+kLen): no per-element mask. */
    public boolean blockFullyVisible(int q0, int qLen, int k0, int kLen) {
        int last = q0 + qLen - 1;
        return loKey(last) <= k0 && hiKey(q0) >= k0 + kLen;
    }

    /** The key range [lo, hi) that queries [q0, q0+qLen) may see, as a union. lo >= hi when empty. */
    public int unionLo(int q0, int qLen) {
        return loKey(q0);
    }

    public int unionHi(int q0, int qLen) {
        return hiKey(q0 + qLen - 1);
    }
}
