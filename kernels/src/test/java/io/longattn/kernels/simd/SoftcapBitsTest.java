package io.longattn.kernels.simd;

import io.longattn.kernels.ChildJvm;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soft cap's tanh: close to Math.tanh, and the same output bits whatever the JIT has compiled. With
 * lanewise(TANH) (an SVML stub under C2, a Java fallback before) the C2 run's O hash changed after
 * warm-up and differed from the interpreter's.
 */
class SoftcapBitsTest {

    private static float[] tanh(float[] xs) {
        int l = VectorShape.L;
        float[] out = new float[xs.length];
        for (int i = 0; i < xs.length; i += l) Tanh.tanh(FloatVector.fromArray(VectorShape.S, xs, i)).intoArray(out, i);
        return out;
    }

    @Test
    void tanhIsWithinAFewUlpsOfMathTanhAndOdd() {
        // every 4001st float of [0, 20] (both ranges, the switch at 0.625, saturation past ~9), each with both signs
        int step = 4001, top = Float.floatToIntBits(20f);
        float[] xs = new float[(top / step + 1) * 2 / VectorShape.L * VectorShape.L + VectorShape.L];
        for (int i = 0, b = 0; i < xs.length; i += 2, b += step) {
            xs[i] = Float.intBitsToFloat(b);
            xs[i + 1] = -xs[i];
        }
        float[] out = tanh(xs);
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            double want = Math.tanh(xs[i]);
            double ulps = Math.abs(out[i] - want) / Math.ulp((float) want);
            assertTrue(ulps <= 2.5, "tanh(" + xs[i] + ") = " + out[i] + ", expected " + want);
            worst = Math.max(worst, ulps);
            if (i % 2 == 1) assertEquals(Float.floatToIntBits(-out[i - 1]), Float.floatToIntBits(out[i]), "odd at " + xs[i]);
        }
        assertTrue(worst > 0.5, "the sweep should see rounding errors, worst " + worst);

        float[] special = new float[VectorShape.L * 2];
        float[] in = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 9.1f, -1e30f, Float.MIN_VALUE, -1e-30f};
        System.arraycopy(in, 0, special, 0, in.length);
        float[] got = tanh(special);
        float[] want = {0f, -0f, 1f, -1f, 1f, -1f, Float.MIN_VALUE, -1e-30f};
        for (int i = 0; i < in.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), "tanh(" + in[i] + ") = " + got[i]);
        }
    }

    /** The interpreter, C1 only, and C2 after warm-up: one hash line for the SIMD (and scalar) softcap output. */
    @Test
    void softcapOutputHasTheSameBitsInEveryJitMode() throws Exception {
        List<String> lines = new ArrayList<>(run(1, "-Xint"));
        lines.addAll(run(3, "-XX:TieredStopAtLevel=1"));
        // SoftcapBitsMain's shape gets RowTiles.softmaxRow compiled by C2 after ~10 repetitions here
        lines.addAll(run(60));
        assertEquals(64, lines.size(), lines.toString());
        assertEquals(List.of(lines.get(0)), lines.stream().distinct().toList());
    }

    private static List<String> run(int reps, String... flags) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--add-modules=jdk.incubator.vector"));
        all.addAll(List.of(flags));
        String out = ChildJvm.run(all, SoftcapBitsMain.class, Integer.toString(reps));
        return out.lines().filter(l -> l.startsWith("simd ")).toList();
    }
}
