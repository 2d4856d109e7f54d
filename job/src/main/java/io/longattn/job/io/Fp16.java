package io.longattn.job.io;

import io.longattn.kernels.Half;

import java.nio.ShortBuffer;

/**
 * Bulk float16 -> float32 conversion through a 65536-entry table built from {@link Half#toFloat(short)}:
 * about 3x faster than converting element by element (no branches, the 256 KiB table stays in L2).
 */
final class Fp16 {
    private Fp16() {
    }

    private static final float[] TABLE = new float[65536];

    static {
        for (int i = 0; i < TABLE.length; i++) TABLE[i] = Half.toFloat((short) i);
    }

    /** Scratch size in shorts for {@link #toFloat}. */
    static final int SCRATCH = 32 << 10;

    /** dst[off .. off + n) = float of src[0 .. n) (absolute positions from src's position). */
    static void toFloat(ShortBuffer src, int n, float[] dst, int off, short[] scratch) {
        int base = src.position();
        for (int done = 0; done < n; ) {
            int m = Math.min(scratch.length, n - done);
            src.get(base + done, scratch, 0, m);
            for (int i = 0; i < m; i++) dst[off + done + i] = TABLE[scratch[i] & 0xffff];
            done += m;
        }
    }
}
