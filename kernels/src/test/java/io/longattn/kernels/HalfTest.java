package io.longattn.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfTest {

    static short h(int bits) {
        return (short) bits;
    }

    @Test
    void knownValues() {
        assertEquals(65504f, Half.toFloat(h(0x7bff)));
        assertEquals(-65504f, Half.toFloat(h(0xfbff)));
        assertEquals(1f, Half.toFloat(h(0x3c00)));
        assertEquals(-2f, Half.toFloat(h(0xc000)));
        assertEquals(0x1p-14f, Half.toFloat(h(0x0400)));          // smallest normal
        assertEquals(0x1p-24f, Half.toFloat(h(0x0001)));          // smallest subnormal
        assertEquals(1023 * 0x1p-24f, Half.toFloat(h(0x03ff)));   // largest subnormal
        assertEquals(Float.POSITIVE_INFINITY, Half.toFloat(h(0x7c00)));
        assertEquals(Float.NEGATIVE_INFINITY, Half.toFloat(h(0xfc00)));
        assertTrue(Float.isNaN(Half.toFloat(h(0x7e00))));
        assertEquals(0x8000, Half.fromFloat(-0f) & 0xffff);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Half.toFloat(h(0x8000))));

        assertEquals(0x7bff, Half.fromFloat(65504f) & 0xffff);
        assertEquals(0x7bff, Half.fromFloat(65519.99f) & 0xffff);   // below the tie: stays finite
        assertEquals(0x7c00, Half.fromFloat(65520f) & 0xffff);      // tie with odd 0x7bff: rounds to inf
        assertEquals(0x7c00, Half.fromFloat(1e6f) & 0xffff);
        assertEquals(0xfc00, Half.fromFloat(Float.NEGATIVE_INFINITY) & 0xffff);
        assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN))));
        assertEquals(0x0001, Half.fromFloat(0x1p-24f) & 0xffff);
        assertEquals(0x0000, Half.fromFloat(0x1p-25f) & 0xffff);    // tie between 0 and 2^-24: even (0)
        assertEquals(0x0001, Half.fromFloat(Math.nextUp(0x1p-25f)) & 0xffff);
        assertEquals(0x0002, Half.fromFloat(3 * 0x1p-25f) & 0xffff); // tie between 1 and 2 units: even (2)
        assertEquals(0x0400, Half.fromFloat(1023.5f * 0x1p-24f) & 0xffff); // tie rounds up into the normals
        assertEquals(0x3c00, Half.fromFloat(1f + 0x1p-11f) & 0xffff);      // tie: down to even
        assertEquals(0x3c02, Half.fromFloat(1f + 3 * 0x1p-11f) & 0xffff);  // tie: up to even
        assertEquals(0x3c01, Half.fromFloat(Math.nextUp(1f + 0x1p-11f)) & 0xffff);
    }

    @Test
    void everyHalfRoundTrips() {
        for (int b = 0; b < 0x10000; b++) {
            float f = Half.toFloat(h(b));
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(f))), Integer.toHexString(b));
                continue;
            }
            assertEquals(b, Half.fromFloat(f) & 0xffff, Integer.toHexString(b));
        }
    }

    /** fromFloat returns the nearest half, ties to even, for random floats in and around the half range. */
    @Test
    void roundsToNearestEven() {
        SplittableRandom r = new SplittableRandom(5);
        for (int t = 0; t < 200_000; t++) {
            float f;
            if (t % 2 == 0) {
                // exact midpoints between neighbouring halves (ties)
                int b = r.nextInt(0x7bff);
                f = (float) (((double) Half.toFloat(h(b)) + Half.toFloat(h(b + 1))) / 2);
            } else {
                f = (float) (Math.scalb(r.nextDouble(1, 2), r.nextInt(-27, 16)));
            }
            if (r.nextBoolean()) f = -f;
            short got = Half.fromFloat(f);
            if (Math.abs(f) >= 65520f) { // at or past the tie with the next (infinite) step: overflow
                assertEquals(Float.isInfinite(Half.toFloat(got)) ? 1 : 0, 1, f + " should overflow to inf");
                continue;
            }
            double g = Half.toFloat(got);
            int gb = got & 0x7fff;
            double err = Math.abs(g - f);
            for (int nb : new int[]{gb - 1, gb + 1}) {
                if (nb < 0 || nb > 0x7bff) continue;
                double n = Math.copySign(Half.toFloat(h(nb)), f);
                double e2 = Math.abs(n - f);
                assertTrue(err < e2 || (err == e2 && (gb & 1) == 0),
                        f + " -> 0x" + Integer.toHexString(got & 0xffff) + " but 0x" + Integer.toHexString(nb) + " is nearer or the even tie");
            }
        }
    }
}
