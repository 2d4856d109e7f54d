package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvBlock;
import io.longattn.kernels.KvSource;
import io.longattn.kernels.LocalAttention;
import io.longattn.kernels.Precision;
import io.longattn.kernels.QueryChunk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * K/V resident on the GPU per (K/V, kv group, precision), packed once for the tensor-core precisions and
 * shared by units and tasks: the same bits as K/V packed per streamed chunk, one upload for every unit and
 * every instance reading the same K/V, and eviction (or streaming) when groups do not fit together. The
 * accuracy of the resident path is CudaPrecisionTest's and CudaAccuracyTest's (every unit there runs on
 * it); these tests hold its bits to the other paths'. Runs where a GPU is usable; elsewhere skipped with
 * the probe's reason.
 */
class CudaResidentKvTest {
    /** GQA (4 query heads per kv head), two kv groups, causal: query tiles enough that no launch splits keys. */
    static AttentionSpec spec(Precision p, int d) {
        return AttentionSpec.of(4096, 1500, 8, 2, d, d).withCausal(true).withPrecision(p);
    }

    @BeforeAll
    static void gpu() {
        CudaProbe p = CudaProbe.get();
        assumeTrue(p.usable(), () -> "no usable GPU: " + p.unavailableReason());
    }

    @AfterEach
    void noCap() {
        ResidentKv.capBytes = Long.MAX_VALUE;
    }

    /** K/V arrays read through a source with its own resident key, counting the keys it loads. */
    static final class CountingKv implements KvSource {
        final AttentionSpec spec;
        final float[] k, v;
        final Object key = new Object();
        final AtomicLong keysLoaded = new AtomicLong();

        CountingKv(AttentionSpec spec, long seed) {
            this.spec = spec;
            Random r = new Random(seed);
            k = new float[spec.sk() * spec.hkv() * spec.d()];
            v = new float[spec.sk() * spec.hkv() * spec.dv()];
            for (int i = 0; i < k.length; i++) k[i] = (float) r.nextGaussian();
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        }

        @Override
        public void load(int group, int k0, int length, KvBlock dst) {
            keysLoaded.addAndGet(length);
            dst.load(k0, length, k, v, 0, spec.hkv(), group);
        }

        @Override
        public Object residentKey() {
            return key;
        }

        /** The same K/V under the same key, as another task's source would be. */
        KvSource sameFilesAnotherTask() {
            KvSource plain = LocalAttention.arrays(spec, k, v);
            return new KvSource() {
                @Override
                public void load(int group, int k0, int length, KvBlock dst) {
                    keysLoaded.addAndGet(length);
                    plain.load(group, k0, length, dst);
                }

                @Override
                public Object residentKey() {
                    return key;
                }
            };
        }
    }

    static float[] queries(AttentionSpec spec, long seed) {
        Random r = new Random(seed);
        float[] q = new float[spec.sq() * spec.hq() * spec.d()];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        return q;
    }

    /** Every (query chunk, kv group) unit, the groups in the order given for each chunk. */
    static LocalAttention.Result units(CudaAttention gpu, AttentionSpec spec, float[] q, KvSource source, int qc, int... groups) {
        int hq = spec.hq(), hg = spec.groupSize(), dv = spec.dv();
        float[] o = new float[spec.sq() * hq * dv], lse = new float[spec.sq() * hq];
        java.util.Arrays.fill(o, Float.NaN);
        QueryChunk chunk = new QueryChunk(qc, hg, spec.d());
        float[] co = new float[qc * hg * dv], cl = new float[qc * hg];
        for (int q0 = 0; q0 < spec.sq(); q0 += qc) {
            int tokens = Math.min(qc, spec.sq() - q0);
            for (int g : groups) {
                chunk.load(q0, tokens, q, q0 * hq * spec.d(), hq, g * hg, spec.queryFactor());
                gpu.run(chunk, g, source, 0, spec.sk(), co, 0, cl, 0);
                LocalAttention.scatter(spec, g, q0, tokens, co, cl, o, lse);
            }
        }
        return new LocalAttention.Result(o, lse);
    }

    static void assertSameBits(LocalAttention.Result a, LocalAttention.Result b, String what) {
        assertArrayEquals(a.o(), b.o(), what + ": O");
        assertArrayEquals(a.lse(), b.lse(), what + ": LSE");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Precision.class, names = {"TF32", "FP16", "BF16"})
    void kvPackedOnceGivesTheBitsOfKvPackedPerStreamedChunk(Precision p) {
        for (int d : new int[]{64, 128}) {
            AttentionSpec spec = spec(p, d);
            assertEquals(0, CudaAttention.splitKeysOf(spec), "the premise: no in-launch split for this spec");
            CountingKv kv = new CountingKv(spec, 3);
            float[] q = queries(spec, 4);
            LocalAttention.Result resident, streamed;
            try (CudaAttention gpu = new CudaAttention(spec, 0)) {
                resident = units(gpu, spec, q, kv, 1024, 0, 1);
            }
            try (CudaAttention gpu = CudaAttention.streaming(spec, 0, 640)) {
                streamed = units(gpu, spec, q, kv, 1024, 0, 1);
            }
            assertSameBits(resident, streamed, p.id() + " D=" + d);
            for (float x : resident.o()) assertTrue(Float.isFinite(x), p.id() + " D=" + d + ": every row written, none NaN");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Precision.class)
    void everyUnitAndEveryTaskReadingTheSameKvShareOneUpload(Precision p) {
        AttentionSpec spec = spec(p, 64);
        CountingKv kv = new CountingKv(spec, 5);
        float[] q = queries(spec, 6);
        LocalAttention.Result first, second;
        try (CudaAttention task1 = new CudaAttention(spec, 0); CudaAttention task2 = new CudaAttention(spec, 0)) {
            first = units(task1, spec, q, kv, 512, 0, 1);
            assertEquals(2L * spec.sk(), kv.keysLoaded.get(), "each kv group's keys loaded once for 8 query chunks");
            second = units(task2, spec, q, kv.sameFilesAnotherTask(), 1000, 1, 0);
            assertEquals(2L * spec.sk(), kv.keysLoaded.get(), "another task's source with the same key loads nothing");
        }
        assertSameBits(first, second, p.id() + ", other chunking and group order");
    }

    @Test
    void eachPrecisionKeepsItsOwnResidentCopyAndFp32IsUnchanged() {
        AttentionSpec fp32 = spec(Precision.FP32, 64), bf16 = spec(Precision.BF16, 64);
        CountingKv kv = new CountingKv(fp32, 7);
        float[] q = queries(fp32, 8);
        LocalAttention.Result before, after;
        try (CudaAttention gpu = new CudaAttention(fp32, 0)) {
            before = units(gpu, fp32, q, kv, 1024, 0, 1);
        }
        try (CudaAttention gpu = new CudaAttention(bf16, 0)) {
            units(gpu, bf16, q, kv, 1024, 0, 1);
        }
        assertEquals(4L * fp32.sk(), kv.keysLoaded.get(), "bf16 packs its own copy: a second upload");
        try (CudaAttention gpu = new CudaAttention(fp32, 0)) {
            after = units(gpu, fp32, q, kv, 1024, 0, 1);
        }
        assertEquals(4L * fp32.sk(), kv.keysLoaded.get(), "fp32's copy is still there");
        assertSameBits(before, after, "fp32 after bf16");
        try (CudaAttention gpu = CudaAttention.streaming(fp32, 0, 640)) {
            assertSameBits(before, units(gpu, fp32, q, kv, 1024, 0, 1), "fp32 resident against streamed");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Precision.class, names = {"FP32", "BF16"})
    void groupsThatDoNotFitTogetherAreEvictedAndGroupsThatDoNotFitAtAllStream(Precision p) {
        AttentionSpec spec = spec(p, 64);
        // the same K/V under three keys: each phase starts with nothing of its own resident
        CountingKv kvRoomy = new CountingKv(spec, 9), kvOne = new CountingKv(spec, 9), kvNone = new CountingKv(spec, 9);
        float[] q = queries(spec, 10);
        LocalAttention.Result roomy, oneAtATime, none;
        try (CudaAttention gpu = new CudaAttention(spec, 0)) {
            roomy = units(gpu, spec, q, kvRoomy, 1024, 0, 1);
        }
        assertEquals(2L * spec.sk(), kvRoomy.keysLoaded.get(), "with room, one upload per group");
        ResidentKv.capBytes = ResidentKv.bytes(spec); // room for one group: every group change evicts the other
        try (CudaAttention gpu = new CudaAttention(spec, 0)) {
            oneAtATime = units(gpu, spec, q, kvOne, 1024, 0, 1);
        }
        // Sq > Sk and causal (aligned bottom-right): the first chunks see no key and load nothing
        long chunksWithKeys = 0;
        for (int q0 = 0; q0 < spec.sq(); q0 += 1024) {
            if (spec.mask().unmaskedPairs(q0, Math.min(1024, spec.sq() - q0)) > 0) chunksWithKeys++;
        }
        assertTrue(chunksWithKeys >= 2, "the test needs group changes after the first upload");
        assertEquals(chunksWithKeys * 2 * spec.sk(), kvOne.keysLoaded.get(), "each (query chunk with keys, group) an upload");
        ResidentKv.capBytes = ResidentKv.bytes(spec) - 1; // no room for any group: key chunks stream
        try (CudaAttention gpu = new CudaAttention(spec, 0)) {
            none = units(gpu, spec, q, kvNone, 1024, 0, 1);
        }
        assertTrue(kvNone.keysLoaded.get() > 0, "streamed keys are loaded per unit");
        assertSameBits(roomy, oneAtATime, p.id() + " evicted and uploaded again");
        assertSameBits(roomy, none, p.id() + " streamed");
    }

    @Test
    void deviceSecondsCountEachUnitsLaunches() {
        AttentionSpec spec = spec(Precision.BF16, 64);
        CountingKv kv = new CountingKv(spec, 11);
        float[] q = queries(spec, 12);
        try (CudaAttention gpu = new CudaAttention(spec, 0); CudaKernel kernel = new CudaKernel(spec, 0)) {
            assertEquals(0, gpu.deviceSeconds());
            units(gpu, spec, q, kv, 4096, 0);
            double one = gpu.deviceSeconds();
            assertTrue(one > 0, "one unit timed: " + one);
            units(gpu, spec, q, kv, 4096, 1);
            assertTrue(gpu.deviceSeconds() > one, "a second unit adds its time");
            assertEquals(0, kernel.deviceSeconds(), "no unit yet on the kernel's own engine");
        }
    }
}
