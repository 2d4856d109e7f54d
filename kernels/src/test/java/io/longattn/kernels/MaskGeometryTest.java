package io.longattn.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Mask geometry against brute force over the definition (the FlashAttention semantics of AttentionSpec), on random shapes. */
class MaskGeometryTest {

    /** The definition, written independently of MaskGeometry's lo/hi arithmetic. */
    static boolean allowed(int sq, int sk, int left, int right, int i, int j) {
        long ip = (long) i + sk - sq;
        if (left >= 0 && j < ip - left) return false;
        return right < 0 || j <= ip + right;
    }

    static int bound(SplittableRandom r, int max) {
        return r.nextInt(4) == 0 ? -1 : r.nextInt(max);
    }

    @Test
    void matchesBruteForceOnRandomShapes() {
        SplittableRandom r = new SplittableRandom(42);
        for (int trial = 0; trial < 600; trial++) {
            int sq = 1 + r.nextInt(40), sk = 1 + r.nextInt(40);
            boolean causal = r.nextInt(3) == 0;
            AttentionSpec spec = AttentionSpec.of(sq, sk, 1, 1, 8, 8).withCausal(causal).withWindow(bound(r, 12), bound(r, 12));
            MaskGeometry m = spec.mask();
            int left = spec.windowLeft(), right = causal ? 0 : spec.windowRight();
            String what = spec.describe();
            boolean[][] ok = new boolean[sq][sk];
            for (int i = 0; i < sq; i++) {
                for (int j = 0; j < sk; j++) {
                    ok[i][j] = allowed(sq, sk, left, right, i, j);
                    assertEquals(ok[i][j], m.allowed(i, j), what + " (" + i + "," + j + ")");
                }
            }
            long all = 0;
            for (int i = 0; i < sq; i++) for (int j = 0; j < sk; j++) if (ok[i][j]) all++;
            assertEquals(all, m.unmaskedPairs(0, sq), what);
            assertEquals(all * 2 * (8 + 8), (long) spec.flops(), what);
            for (int t = 0; t < 30; t++) {
                int q0 = r.nextInt(sq), qLen = 1 + r.nextInt(sq - q0);
                int k0 = r.nextInt(sk), kLen = 1 + r.nextInt(sk - k0);
                long pairs = 0, rowsPairs = 0;
                boolean any = false, every = true;
                for (int i = q0; i < q0 + qLen; i++) {
                    for (int j = 0; j < sk; j++) if (ok[i][j]) rowsPairs++;
                    for (int j = k0; j < k0 + kLen; j++) {
                        if (ok[i][j]) {
                            pairs++;
                            any = true;
                        } else {
                            every = false;
                        }
                    }
                }
                String w = what + " q[" + q0 + "+" + qLen + ") k[" + k0 + "+" + kLen + ")";
                assertEquals(rowsPairs, m.unmaskedPairs(q0, qLen), w);
                assertEquals(pairs, m.unmaskedPairs(q0, qLen, k0, kLen), w);
                assertEquals(!any, m.blockFullyMasked(q0, qLen, k0, kLen), w + " fully masked");
                assertEquals(every, m.blockFullyVisible(q0, qLen, k0, kLen), w + " fully visible");
            }
        }
    }

    @Test
    void causalIsBottomRightAligned() {
        MaskGeometry m = AttentionSpec.of(3, 5, 1, 1, 8, 8).withCausal(true).mask();
        assertEquals(3, m.hiKey(0)); // query 0 sees keys 0..2 (i' = 2)
        assertEquals(5, m.hiKey(2));
        MaskGeometry top = AttentionSpec.of(5, 3, 1, 1, 8, 8).withCausal(true).mask();
        assertEquals(0, top.rowKeys(0)); // i' = -2: nothing
        assertEquals(0, top.rowKeys(1));
        assertEquals(1, top.rowKeys(2));
        assertEquals(1 + 2 + 3, top.unmaskedPairs(0, 5));
    }
}
