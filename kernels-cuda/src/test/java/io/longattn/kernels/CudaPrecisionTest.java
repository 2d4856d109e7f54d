package io.longattn.kernels;

import io.longattn.kernels.cuda.CudaAttention;
import io.longattn.kernels.cuda.CudaKernel;
import io.longattn.kernels.cuda.CudaProbe;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The tensor-core kernels (tf32, fp16, bf16) against float64, on the CPU kernels' case list (head dims up
 * to 128), judged two ways:
 * <ul>
 * <li>Against float64 of the operands the kernel really multiplies: Q x factor, K and V rounded to the
 * operand type on the host exactly as the GPU rounds them. What is left is float32 arithmetic, so the
 * float32 bounds of {@link Oracle} hold, widened by the one further rounding the kernel makes: P to the
 * operand type before P V, at most one unit roundoff u of max|V| in O (LSE is formed from P before
 * rounding: float32 bounds). A wrong mask, a dropped key tile or a misplaced fragment moves O by far
 * more than u max|V| on these few-key rows.</li>
 * <li>Against float64 of the float32 inputs, as a user sees it: the relative error ||O - ref|| / ||ref||
 * within the README's bound for the precision, on the cases with ordinary logits (default scale, no
 * soft cap, unit-variance Q and K; larger logits magnify the operands' rounding, as in every 16-bit
 * attention).</li>
 * </ul>
 * Plus determinism (bits independent of query chunking), fully masked rows, and the one-line refusal of
 * head dims above 128. Runs where a GPU is usable; elsewhere skipped with the probe's reason.
 */
class CudaPrecisionTest {
    static final Precision[] TENSOR_CORE = {Precision.TF32, Precision.FP16, Precision.BF16};

    @BeforeAll
    static void gpu() {
        CudaProbe p = CudaProbe.get();
        assumeTrue(p.usable(), () -> "no usable GPU: " + p.unavailableReason());
    }

    static Stream<Arguments> precisionsAndCases() {
        List<Arguments> a = new ArrayList<>();
        for (Precision p : TENSOR_CORE) {
            for (KernelAccuracyTest.Case c : KernelAccuracyTest.cases()) {
                if (Math.max(c.spec().d(), c.spec().dv()) <= 128) a.add(Arguments.of(p, c));
            }
        }
        return a.stream();
    }

    /** Unit roundoff of the operand type: half an ulp of 1. */
    static double unitRoundoff(Precision p) {
        return switch (p) {
            case FP32 -> 0x1p-24;
            case TF32, FP16 -> 0x1p-11;
            case BF16 -> 0x1p-8;
        };
    }

    /** x rounded to the operand type as the GPU rounds it (cvt.rna.tf32, __float2half_rn, __float2bfloat16_rn). */
    static float round(Precision p, float x) {
        int b = Float.floatToRawIntBits(x);
        return switch (p) {
            case FP32 -> x;
            case TF32 -> Float.intBitsToFloat((b + 0x1000) & 0xffffe000); // nearest, ties away from zero
            case FP16 -> Half.toFloat(Half.fromFloat(x));
            case BF16 -> Float.intBitsToFloat((b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000); // nearest even
        };
    }

    /** The inputs whose exact product the kernel computes: Q scaled and rounded (then unscaled), K and V rounded. */
    static Oracle.Inputs asMultiplied(Precision p, Oracle.Inputs in) {
        float f = in.spec().queryFactor();
        float[] q = in.q().clone(), k = in.k().clone(), v = in.v().clone();
        for (int i = 0; i < q.length; i++) q[i] = (float) (round(p, q[i] * f) / (double) f);
        for (int i = 0; i < k.length; i++) k[i] = round(p, k[i]);
        for (int i = 0; i < v.length; i++) v[i] = round(p, v[i]);
        return new Oracle.Inputs(in.spec(), q, k, v);
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) m = Math.max(m, Math.abs(x));
        return m;
    }

    /** ||O - ref|| / ||ref|| over every row, ref the float64 reference of the float32 inputs. */
    static double relativeError(Oracle.Inputs in, LocalAttention.Result got) {
        AttentionSpec spec = in.spec();
        int dv = spec.dv();
        double[] ref = new double[dv];
        double num = 0, den = 0;
        for (int i = 0; i < spec.sq(); i++) {
            for (int h = 0; h < spec.hq(); h++) {
                Float64Reference.row(spec, in.q(), in.k(), in.v(), i, h, ref);
                int oo = (i * spec.hq() + h) * dv;
                for (int c = 0; c < dv; c++) {
                    double e = got.o()[oo + c] - ref[c];
                    num += e * e;
                    den += ref[c] * ref[c];
                }
            }
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** The README's bounds for ||O - ref|| / ||ref|| at ordinary logits (default scale, unit-variance Q and K). */
    static double relativeBound(Precision p) {
        return switch (p) {
            case FP32 -> 1e-5;
            case TF32 -> 1e-3;
            case FP16 -> 2e-3;
            case BF16 -> 1e-2;
        };
    }

    static void judge(String what, Precision p, Oracle.Inputs in, LocalAttention.Result got) {
        Oracle.Report r = Oracle.measure(asMultiplied(p, in), got);
        double pRounding = unitRoundoff(p) * maxAbs(in.v());
        assertTrue(r.maxOutErr() <= r.outTol() + pRounding, what + ": output error too large against the rounded operands: "
                + r + ", P rounding allows " + pRounding);
        // the tensor cores' float32 accumulation is not IEEE round-to-nearest (it truncates when aligning the
        // products): a few float32 ulps more on a score than the CPU kernels' bound assumes; any real mistake
        // moves LSE by orders of magnitude more than 4x that bound
        assertTrue(r.worstLseRatio() <= 4.0, what + ": LSE error too large against the rounded operands: " + r);
        Oracle.assertMaskedRowCount(in.spec(), r);
        AttentionSpec spec = in.spec();
        boolean ordinary = !spec.hasSoftcap() && spec.scale() == AttentionSpec.defaultScale(spec.d()) && r.scoreMagnitude() < 100;
        if (ordinary) { // logits as attention layers have them: the user's view of the error
            double rel = relativeError(in, got);
            assertTrue(rel <= relativeBound(p), what + ": ||O - ref|| / ||ref|| = " + rel + " above " + relativeBound(p));
        }
    }

    @ParameterizedTest(name = "units {0} {1}")
    @MethodSource("precisionsAndCases")
    void unitsMatchFloat64OfTheRoundedOperands(Precision p, KernelAccuracyTest.Case c) {
        AttentionSpec spec = c.spec().withPrecision(p);
        Oracle.Inputs in = Oracle.random(spec, c.name().hashCode(), c.qkStd());
        judge("cuda " + p.id() + " units " + c, p, in, CudaAccuracyTest.units(spec, in, c.qChunk()));
    }

    /** The job's path (UnitRunner hands whole units to CudaKernel.runUnit). */
    @ParameterizedTest(name = "runUnit {0} {1}")
    @MethodSource("precisionsAndCases")
    void kernelUnitsMatchFloat64OfTheRoundedOperands(Precision p, KernelAccuracyTest.Case c) {
        AttentionSpec spec = c.spec().withPrecision(p);
        Oracle.Inputs in = Oracle.random(spec, c.name().hashCode(), c.qkStd());
        try (AttentionKernel k = new CudaKernel(spec, 0)) {
            judge("cuda " + p.id() + " runUnit " + c, p, in,
                    LocalAttention.compute(spec, in.q(), in.k(), in.v(), k, c.qChunk(), c.kvChunk()));
        }
    }

    /** A larger causal GQA problem with a window, several query tiles and key tiles per block. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Precision.class, names = {"TF32", "FP16", "BF16"})
    void bitsDoNotDependOnHowQueriesAreChunked(Precision p) {
        for (int d : new int[]{64, 128}) {
            AttentionSpec spec = AttentionSpec.of(1000, 1300, 8, 2, d, d).withCausal(true).withWindow(700, -1).withPrecision(p);
            Oracle.Inputs in = Oracle.random(spec, 11, 1);
            LocalAttention.Result a = CudaAccuracyTest.units(spec, in, 1000), b = CudaAccuracyTest.units(spec, in, 37),
                    c = CudaAccuracyTest.units(spec, in, 128);
            judge("cuda " + p.id() + " D=" + d, p, in, a);
            assertArrayEquals(a.o(), b.o(), "D=" + d);
            assertArrayEquals(a.lse(), b.lse(), "D=" + d);
            assertArrayEquals(a.o(), c.o(), "D=" + d);
            assertArrayEquals(a.lse(), c.lse(), "D=" + d);
            assertArrayEquals(a.o(), CudaAccuracyTest.units(spec, in, 1000).o(), "D=" + d + ", the same call twice");
        }
    }

    /**
     * On a Hopper (compute capability 9.0), fp16 and bf16 run the wgmma kernels and every test above judges
     * them; here the mma.sync kernels run beside them on the same inputs, so both stay judged on that GPU.
     * Elsewhere the two instances run the same kernel and the test is skipped.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Precision.class, names = {"FP16", "BF16"})
    void wgmmaAndMmaSyncKernelsBothMatchFloat64(Precision p) {
        AttentionSpec[] specs = {
                AttentionSpec.of(700, 900, 4, 2, 64, 64).withCausal(true),
                AttentionSpec.of(500, 500, 2, 2, 128, 128).withWindow(100, 20),
                AttentionSpec.of(300, 650, 2, 1, 40, 100),
                AttentionSpec.of(400, 400, 2, 2, 64, 64).withCausal(true).withSoftcap(30)};
        for (AttentionSpec base : specs) {
            AttentionSpec spec = base.withPrecision(p);
            String wg, mma;
            try (CudaAttention a = new CudaAttention(spec, 0); CudaAttention b = CudaAttention.withoutWgmma(spec, 0)) {
                wg = a.kernelName();
                mma = b.kernelName();
            }
            assumeTrue(wg.startsWith("longattn_wg_"), () -> "not a Hopper GPU: " + wg + " runs");
            assertTrue(mma.startsWith("longattn_tc_"), mma);
            Oracle.Inputs in = Oracle.random(spec, 3, 1);
            judge(wg + " " + spec, p, in, CudaAccuracyTest.units(spec, in, 256, true));
            judge(mma + " " + spec, p, in, CudaAccuracyTest.units(spec, in, 256, false));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Precision.class, names = {"TF32", "FP16", "BF16"})
    void decodeShapesSplitKeysInsideTheLaunch(Precision p) {
        AttentionSpec spec = AttentionSpec.of(2, 40_000, 2, 1, 64, 64).withPrecision(p);
        assertTrue(CudaAttention.splitKeysOf(spec) > 0);
        Oracle.Inputs in = Oracle.random(spec, 5, 1);
        LocalAttention.Result a = CudaAccuracyTest.units(spec, in, 2), b = CudaAccuracyTest.units(spec, in, 1);
        judge("cuda " + p.id() + " decode", p, in, a);
        assertArrayEquals(a.o(), b.o());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Precision.class, names = {"TF32", "FP16", "BF16"})
    void fullyMaskedRowsGiveZeroAndMinusInfinity(Precision p) {
        AttentionSpec spec = AttentionSpec.of(20, 8, 1, 1, 32, 32).withCausal(true).withPrecision(p);
        Oracle.Inputs in = Oracle.random(spec, 1, 1);
        LocalAttention.Result r = CudaAccuracyTest.units(spec, in, 3);
        for (int i = 0; i < 12; i++) {
            assertEquals(Float.NEGATIVE_INFINITY, r.lse()[i], "row " + i);
            for (int c = 0; c < 32; c++) assertEquals(0f, r.o()[i * 32 + c], "row " + i);
        }
        assertTrue(Float.isFinite(r.lse()[12]));
    }

    @Test
    void headDimsAbove128AreRefusedInOneLine() {
        AttentionSpec spec = AttentionSpec.of(17, 29, 1, 1, 256, 256).withPrecision(Precision.BF16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CudaAttention(spec, 0));
        assertTrue(e.getMessage().contains("--precision bf16") && e.getMessage().contains("up to 128"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
