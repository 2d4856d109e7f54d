package io.longattn.kernels;

import io.longattn.kernels.simd.SimdKernel;
import io.longattn.kernels.simd.SimdTile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel against {@link Float64Reference} through the same unit path the job uses
 * ({@link LocalAttention#compute}), with small and odd chunk sizes so ragged query chunks, ragged kv
 * blocks, straddling mask blocks and vector tails all occur. Tolerances: see {@link Oracle}.
 */
class KernelAccuracyTest {

    record Case(String name, AttentionSpec spec, int qChunk, int kvChunk, double qkStd) {
        @Override
        public String toString() {
            return name + " [" + spec.describe() + " qc=" + qChunk + " kc=" + kvChunk + "]";
        }
    }

    record Kernel(String name, Function<AttentionSpec, AttentionKernel> factory) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Kernel> kernels() {
        return List.of(
                new Kernel("scalar", ScalarKernel::new),
                // both production tiles on any machine (the one that does not match the registers only runs slower)
                new Kernel("simd-4x2", s -> new SimdKernel(s, 1, SimdTile.T4x2)),
                new Kernel("simd-6x4", s -> new SimdKernel(s, 1, SimdTile.T6x4)),
                new Kernel("simd-4x2-2threads", s -> new SimdKernel(s, 2, SimdTile.T4x2)),
                new Kernel("simd-6x4-2threads", s -> new SimdKernel(s, 2, SimdTile.T6x4)));
    }

    static AttentionSpec spec(int sq, int sk, int hq, int hkv, int d, int dv) {
        return AttentionSpec.of(sq, sk, hq, hkv, d, dv);
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        // head layouts and head dims
        c.add(new Case("MHA d32", spec(37, 37, 2, 2, 32, 32), 7, 16, 1));
        c.add(new Case("MHA d64", spec(45, 45, 2, 2, 64, 64), 16, 13, 1));
        c.add(new Case("MHA d128", spec(33, 41, 1, 1, 128, 128), 8, 32, 1));
        c.add(new Case("GQA d64", spec(29, 53, 4, 2, 64, 64), 5, 17, 1));
        c.add(new Case("MQA d128", spec(23, 31, 3, 1, 128, 128), 7, 9, 1));
        c.add(new Case("GQA d32 causal", spec(50, 50, 6, 2, 32, 32).withCausal(true), 9, 16, 1));
        // Dv != D, and head dims that are not multiples of the vector width
        c.add(new Case("Dv<D", spec(31, 47, 2, 1, 64, 32), 8, 16, 1));
        c.add(new Case("Dv>D", spec(31, 47, 2, 2, 32, 80), 8, 16, 1));
        c.add(new Case("D80 Dv96", spec(26, 39, 2, 1, 80, 96), 6, 20, 1));
        c.add(new Case("D256", spec(17, 29, 1, 1, 256, 256).withCausal(true), 5, 8, 1));
        c.add(new Case("D20 Dv12 tails", spec(41, 67, 2, 1, 20, 12), 7, 23, 1));
        c.add(new Case("D3 Dv5 tiny", spec(19, 25, 1, 1, 3, 5), 4, 6, 1));
        // masks
        c.add(new Case("causal d64", spec(70, 70, 2, 2, 64, 64).withCausal(true), 16, 16, 1));
        c.add(new Case("causal unaligned", spec(70, 70, 1, 1, 64, 64).withCausal(true), 9, 11, 1));
        c.add(new Case("causal Sq<Sk", spec(40, 90, 2, 1, 32, 32).withCausal(true), 8, 16, 1));
        c.add(new Case("causal Sq>Sk masked top rows", spec(60, 25, 2, 2, 32, 32).withCausal(true), 7, 8, 1));
        c.add(new Case("window left only", spec(64, 64, 2, 1, 32, 32).withWindow(5, -1), 8, 8, 1));
        c.add(new Case("window right only", spec(64, 64, 2, 1, 32, 32).withWindow(-1, 3), 8, 8, 1));
        c.add(new Case("window both", spec(64, 80, 2, 2, 64, 48).withWindow(4, 2), 16, 16, 1));
        c.add(new Case("window zero", spec(33, 33, 1, 1, 32, 32).withWindow(0, 0), 8, 8, 1));
        c.add(new Case("causal + window left", spec(72, 72, 2, 2, 32, 32).withCausal(true).withWindow(7, -1), 8, 16, 1));
        c.add(new Case("window Sq>Sk masked rows", spec(40, 10, 1, 1, 32, 32).withWindow(2, 1), 6, 4, 1));
        c.add(new Case("window Sq<Sk", spec(12, 70, 2, 1, 32, 32).withWindow(9, 0), 5, 16, 1));
        // options
        c.add(new Case("softcap", spec(37, 45, 2, 1, 64, 64).withSoftcap(5), 8, 16, 3));
        c.add(new Case("softcap causal", spec(45, 45, 2, 2, 32, 32).withCausal(true).withSoftcap(30), 8, 16, 4));
        // scores/c of +-10 and more: tanh saturates to +-1 for many keys
        c.add(new Case("softcap saturating", spec(33, 40, 2, 1, 32, 32).withSoftcap(1), 8, 16, 5));
        c.add(new Case("custom scale", spec(35, 35, 2, 2, 64, 64).withScale(0.3), 8, 16, 1));
        c.add(new Case("custom scale small", spec(35, 35, 1, 1, 32, 32).withScale(1e-3), 8, 16, 1));
        // sequence shapes
        c.add(new Case("Sq>Sk", spec(90, 30, 2, 2, 32, 32), 16, 16, 1));
        c.add(new Case("Sq<Sk", spec(30, 90, 2, 2, 32, 32), 16, 16, 1));
        c.add(new Case("single query", spec(1, 300, 2, 1, 64, 64), 1, 64, 1));
        c.add(new Case("single query causal", spec(1, 300, 1, 1, 64, 64).withCausal(true), 1, 37, 1));
        c.add(new Case("single key", spec(9, 1, 1, 1, 32, 32), 4, 4, 1));
        c.add(new Case("big chunks", spec(200, 260, 2, 1, 64, 64).withCausal(true), 64, 128, 1));
        // kv blocks longer than the SIMD kernel's 256-key sub-block (several sub-blocks per block)
        c.add(new Case("multi sub-block causal", spec(130, 700, 2, 1, 64, 64).withCausal(true), 64, 600, 1));
        c.add(new Case("multi sub-block window", spec(90, 1100, 1, 1, 96, 40).withWindow(500, 20), 45, 520, 1));
        // logits of magnitude ~1e3 (scale 1, |q|,|k| ~ 6: q.k ~ 36 sqrt(d) ~ 300..3000)
        c.add(new Case("logits 1e3 d64", spec(40, 60, 2, 1, 64, 64).withScale(1), 8, 16, 6));
        c.add(new Case("logits 1e3 d128 causal", spec(50, 50, 1, 1, 128, 128).withScale(1).withCausal(true), 8, 16, 5));
        return c;
    }

    static Stream<Arguments> kernelsAndCases() {
        List<Arguments> a = new ArrayList<>();
        for (Kernel k : kernels()) for (Case c : cases()) a.add(Arguments.of(k, c));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("kernelsAndCases")
    void matchesFloat64Reference(Kernel kernel, Case c) {
        Oracle.Inputs in = Oracle.random(c.spec(), c.name().hashCode(), c.qkStd());
        try (AttentionKernel k = kernel.factory().apply(c.spec())) {
            LocalAttention.Result r = LocalAttention.compute(c.spec(), in.q(), in.k(), in.v(), k, c.qChunk(), c.kvChunk());
            Oracle.Report rep = Oracle.check(kernel + " " + c, in, r);
            Oracle.assertMaskedRowCount(c.spec(), rep);
        }
    }

    @Test
    void largeLogitsNeedTheScoreTerm() {
        // The 1e3-logit case really has scores ~1e3 (so its looser bound is earned, not assumed).
        Case c = cases().stream().filter(x -> x.name().equals("logits 1e3 d64")).findFirst().orElseThrow();
        Oracle.Inputs in = Oracle.random(c.spec(), c.name().hashCode(), c.qkStd());
        LocalAttention.Result r = LocalAttention.compute(c.spec(), in.q(), in.k(), in.v(), new ScalarKernel(c.spec()), 8, 16);
        Oracle.Report rep = Oracle.measure(in, r);
        assertTrue(rep.scoreMagnitude() > 1e3, rep.toString());
    }

    @Test
    void maskedTopRowsAreZeroWithMinusInfinityLse() {
        AttentionSpec spec = spec(20, 8, 1, 1, 32, 32).withCausal(true);
        Oracle.Inputs in = Oracle.random(spec, 1, 1);
        for (Kernel kernel : kernels()) {
            try (AttentionKernel k = kernel.factory().apply(spec)) {
                LocalAttention.Result r = LocalAttention.compute(spec, in.q(), in.k(), in.v(), k, 3, 4);
                for (int i = 0; i < 12; i++) { // rows 0..11 see no key (i + 8 - 20 < 0)
                    assertEquals(Float.NEGATIVE_INFINITY, r.lse()[i], kernel + " row " + i);
                    for (int c = 0; c < 32; c++) assertEquals(0f, r.o()[i * 32 + c], kernel + " row " + i);
                }
                assertTrue(Float.isFinite(r.lse()[12]), kernel + " row 12 sees key 0");
            }
        }
    }

    /** The checker must be able to fail: a kernel that drops one key per block is caught. */
    @Test
    void checkerRejectsAKernelThatDropsAKey() {
        AttentionSpec spec = spec(40, 64, 2, 1, 32, 32);
        Oracle.Inputs in = Oracle.random(spec, 7, 1);
        ScalarKernel good = new ScalarKernel(spec);
        AttentionKernel dropsLast = new AttentionKernel() {
            final KvBlock shorter = new KvBlock(16, 32, 32);

            @Override
            public String name() {
                return "broken";
            }

            @Override
            public void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state) {
                int n = Math.max(1, kv.length() - 1);
                System.arraycopy(kv.k, 0, shorter.k, 0, n * 32);
                System.arraycopy(kv.v, 0, shorter.v, 0, n * 32);
                shorter.set(kv.k0(), n);
                good.accumulate(q, shorter, state);
            }
        };
        LocalAttention.Result r = LocalAttention.compute(spec, in.q(), in.k(), in.v(), dropsLast, 8, 16);
        assertThrows(AssertionError.class, () -> Oracle.check("broken", in, r));
        // and a slightly perturbed correct output is caught too (1e-3 of max|V| on one element)
        LocalAttention.Result ok = LocalAttention.compute(spec, in.q(), in.k(), in.v(), good, 8, 16);
        Oracle.check("scalar", in, ok);
        ok.o()[17] += 1e-3f * 4;
        assertThrows(AssertionError.class, () -> Oracle.check("perturbed", in, ok));
    }
}
