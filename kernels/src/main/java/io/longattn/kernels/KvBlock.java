package io.longattn.kernels;

/**
 * Keys and values [k0, k0 + length) of one kv head: k is [length][d], v is [length][dv].
 * Sized for a capacity and refilled block after block (no allocation per block).
 */
public final class KvBlock {
    public final int capacity;
    public final int d;
    public final int dv;
    public final float[] k;
    public final float[] v;
    private int k0;
    private int length;

    public KvBlock(int capacity, int d, int dv) {
        this.capacity = capacity;
        this.d = d;
        this.dv = dv;
        this.k = new float[capacity * d];
        this.v = new float[capacity * dv];
    }

    public int k0() {
        return k0;
    }

    public int length() {
        return length;
    }

    /** Declares which keys the arrays now hold; the caller has filled k and v. */
    public void set(int k0, int length) {
        if (length > capacity || length < 0) {
            throw new IllegalArgumentException("kv block of " + length + " keys exceeds capacity " + capacity);
        }
        this.k0 = k0;
        this.length = length;
    }

    /** Fills the block from token-major sources [tokens][heads][d] and [tokens][heads][dv] for one head. */
    public void load(int k0, int length, float[] kSrc, float[] vSrc, int srcToken0, int heads, int head) {
        set(k0, length);
        if (heads == 1) { // one kv head: the rows are contiguous in the source too
            int tok = k0 - srcToken0;
            System.arraycopy(kSrc, tok * d, k, 0, length * d);
            System.arraycopy(vSrc, tok * dv, v, 0, length * dv);
            return;
        }
        for (int t = 0; t < length; t++) {
            int tok = k0 - srcToken0 + t;
            System.arraycopy(kSrc, (tok * heads + head) * d, k, t * d, d);
            System.arraycopy(vSrc, (tok * heads + head) * dv, v, t * dv, dv);
        }
    }
}
