package io.longattn.partitioner;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelTraits;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkPlanTest {
    static final long GiB = 1L << 30;

    @Test
    void workingSetDoesNotGrowWithSequenceLength() {
        ChunkPlan small = TestTraits.create(AttentionSpec.of(1 << 20, 1 << 20, 8, 2, 64, 64).withCausal(true), 16, GiB, 0, 0, false, 1);
        ChunkPlan large = TestTraits.create(AttentionSpec.of(1 << 24, 1 << 24, 8, 2, 64, 64).withCausal(true), 16, GiB, 0, 0, false, 1);
        assertEquals(small.queryChunk(), large.queryChunk());
        assertEquals(small.kvChunk(), large.kvChunk());
        assertEquals(small.workingSet(), large.workingSet());
        assertEquals(small.workingSetBytes(), large.workingSetBytes());
        assertTrue(large.workingSetBytes() < 16L << 20, "a few MiB: " + large.workingSetBytes());
        assertEquals(16 * small.chunks(), large.chunks());
    }

    @Test
    void smallBudgetShrinksChunksAndTooSmallNamesTheMinimum() {
        AttentionSpec spec = AttentionSpec.of(1 << 16, 1 << 16, 4, 4, 128, 128);
        ChunkPlan roomy = TestTraits.create(spec, 4, GiB, 0, 0, false, 1);
        long smallest = TestTraits.plan(spec, ChunkPlan.MIN_QUERY_CHUNK, ChunkPlan.MIN_KV_CHUNK, 1, 0, 1).workingSetBytes();
        long budget = (roomy.workingSetBytes() + smallest) / 2;
        ChunkPlan tight = TestTraits.create(spec, 4, budget, 0, 0, false, 1);
        assertTrue(tight.workingSetBytes() <= budget);
        assertTrue(tight.kvChunk() < roomy.kvChunk() || tight.queryChunk() < roomy.queryChunk());
        ChunkPlanException e = assertThrows(ChunkPlanException.class, () -> TestTraits.create(spec, 4, 10_000, 0, 0, false, 1));
        assertEquals(ChunkPlanException.Input.TASK_MEMORY, e.input());
        ChunkPlan min = TestTraits.plan(spec, ChunkPlan.MIN_QUERY_CHUNK, ChunkPlan.MIN_KV_CHUNK, 1, 0, 1);
        assertTrue(e.expected().startsWith("at least " + min.workingSetBytes() + " bytes"), e.expected());
    }

    @Test
    void unitsCoverEveryQueryOnceAndCostCountsExactPairs() {
        AttentionSpec spec = AttentionSpec.of(1000, 700, 6, 3, 32, 16).withWindow(100, 20);
        ChunkPlan plan = TestTraits.create(spec, 3, GiB, 64, 128, false, 1);
        List<UnitOfWork> units = plan.units();
        assertEquals(plan.unitCount(), units.size());
        long pairs = 0;
        int[] seen = new int[spec.sq()];
        CostModel cost = new CostModel(spec);
        for (int i = 0; i < units.size(); i++) {
            UnitOfWork u = units.get(i);
            assertEquals(i, u.index);
            if (u.group == 0) for (int t = u.q0; t < u.q0 + u.tokens; t++) seen[t]++;
            long p = cost.pairs(u.q0, u.tokens, u.kvFrom, u.kvTo);
            long brute = 0;
            for (int q = u.q0; q < u.q0 + u.tokens; q++) for (int k = 0; k < spec.sk(); k++) if (spec.mask().allowed(q, k)) brute++;
            assertEquals(brute, p, "pairs of " + u);
            assertEquals(p * spec.groupSize() + CostModel.UNIT_OVERHEAD, u.cost);
            pairs += p;
        }
        for (int s : seen) assertEquals(1, s);
        assertEquals(spec.mask().unmaskedPairs(0, spec.sq()) * spec.hkv(), pairs);
    }

    @Test
    void kvSplitsAreBlockAlignedAndCoverTheKeys() {
        AttentionSpec spec = AttentionSpec.of(4, 10_000, 2, 1, 32, 32);
        ChunkPlan plan = TestTraits.plan(spec, 4, 256, 7, GiB, 1);
        assertEquals(0, plan.splitFrom(0));
        assertEquals(spec.sk(), plan.splitFrom(7));
        for (int s = 1; s < 7; s++) {
            assertEquals(0, plan.splitFrom(s) % 256);
            assertTrue(plan.splitFrom(s) > plan.splitFrom(s - 1));
        }
    }

    @Test
    void kernelThreadsGetChunksWithRowsForEachThreadAndADoubleBufferedKvBlock() {
        AttentionSpec spec = AttentionSpec.of(1 << 16, 1 << 16, 4, 2, 64, 64); // 2 query rows per token
        ChunkPlan one = TestTraits.create(spec, 2, GiB, 0, 0, false, 1);
        ChunkPlan many = TestTraits.create(spec, 2, GiB, 0, 0, false, 16);
        assertEquals(ChunkPlan.DEFAULT_QUERY_CHUNK, one.queryChunk());
        // 16 threads x ROWS_PER_THREAD rows / 2 rows per token, as a power of two
        assertEquals(1024, many.queryChunk());
        assertTrue(many.queryChunk() * spec.groupSize() >= TestTraits.THREADED.queryRowsPerThread() * 16);
        long kvBlock = (long) many.kvChunk() * (64 + 64) * 4;
        assertTrue(one.workingSet().stream().anyMatch(r -> r.bytes() == kvBlock && r.name().equals("kv block of one head")));
        assertTrue(many.workingSet().stream().anyMatch(r -> r.bytes() == 2 * kvBlock && r.name().startsWith("kv blocks of one head")));
        // the partitions still get their 4 units each: the thread rule only sets where Qc starts
        ChunkPlan wide = TestTraits.create(spec, 64, GiB, 0, 0, false, 16);
        assertTrue(wide.unitCount() >= 4 * 64, "units " + wide.unitCount());
    }

    @Test
    void thePlanReadsTheKernelsTraits() {
        AttentionSpec spec = AttentionSpec.of(1 << 16, 1 << 16, 4, 2, 64, 64);
        KernelTraits wide = new KernelTraits(512, TestTraits.THREADED.scratch(), KernelTraits.Memory.HOST, true);
        ChunkPlan p = ChunkPlan.create(new ChunkPlan.Request(spec, wide, 2, GiB, 0, 0, false, 16));
        assertEquals(4096, p.queryChunk()); // 16 threads x 512 rows / 2 rows per token
        KernelTraits noThreads = new KernelTraits(512, TestTraits.THREADED.scratch(), KernelTraits.Memory.HOST, false);
        assertEquals(ChunkPlan.DEFAULT_QUERY_CHUNK,
                ChunkPlan.create(new ChunkPlan.Request(spec, noThreads, 2, GiB, 0, 0, false, 16)).queryChunk());
        // the scratch row is the kernel's formula and bytes; device memory is not charged to the task's heap
        ChunkPlan.WorkingSetRow host = p.workingSet().stream().filter(r -> r.name().startsWith("kernel scratch")).findFirst().orElseThrow();
        assertEquals("kernel scratch (packed K, V, Q; score tiles)", host.name());
        assertEquals("Kc*(D+Dv)*4+Qc*Hg*D*4+T*8*256*4", host.formula());
        assertEquals((long) p.kvChunk() * 128 * 4 + (long) p.queryChunk() * 2 * 64 * 4 + 16L * 8 * 256 * 4, host.bytes());
        ChunkPlan d = ChunkPlan.create(new ChunkPlan.Request(spec, TestTraits.DEVICE, 2, 64L << 20, 0, 0, false, 1));
        ChunkPlan.WorkingSetRow dev = d.workingSet().stream().filter(r -> r.name().startsWith("kernel scratch")).findFirst().orElseThrow();
        assertEquals("kernel scratch (K/V and summaries, device memory)", dev.name());
        assertEquals(0, dev.bytes());
    }

    @Test
    void splitKeysGiveAboutFourUnitsPerPartition() {
        AttentionSpec decode = AttentionSpec.of(64, 60_000, 1, 1, 64, 64);
        ChunkPlan p = TestTraits.create(decode, 4, GiB, 0, 0, true, 1);
        // 1 query chunk x 1 group: 16 units wanted for 4 partitions, at most one split per kv block
        assertEquals(16, p.kvSplits());
        assertEquals(16, p.unitCount());
        ChunkPlan tiny = TestTraits.create(AttentionSpec.of(64, 1000, 1, 1, 64, 64), 64, GiB, 0, 512, true, 1);
        assertEquals(2, tiny.kvSplits()); // 2 kv blocks of 512
        assertEquals(1, TestTraits.create(decode, 4, GiB, 0, 0, false, 1).kvSplits());
    }

    @Test
    void planErrorsNameTheRequestFieldAtFault() {
        AttentionSpec spec = AttentionSpec.of(1000, 1000, 1, 1, 64, 64);
        ChunkPlanException q = assertThrows(ChunkPlanException.class,
                () -> TestTraits.create(spec, 1, GiB, ChunkPlan.MAX_CHUNK + 1, 0, false, 1));
        assertEquals(ChunkPlanException.Input.QUERY_CHUNK, q.input());
        assertEquals((ChunkPlan.MAX_CHUNK + 1) + " is out of range", q.problem());
        ChunkPlanException k = assertThrows(ChunkPlanException.class, () -> TestTraits.create(spec, 1, GiB, 0, -1, false, 1));
        assertEquals(ChunkPlanException.Input.KV_CHUNK, k.input());
        assertTrue(k.expected().contains("1.." + ChunkPlan.MAX_CHUNK), k.expected());
    }

    @Test
    void keySplitsOfAHugeKeySequenceDoNotOverflow() {
        // 2^24 kv blocks x split index 255 passes 2^31: the split bounds must still be aligned and rising
        AttentionSpec spec = AttentionSpec.of(1, 1 << 30, 1, 1, 16, 16);
        ChunkPlan plan = TestTraits.plan(spec, 1, 64, 256, Long.MAX_VALUE, 1);
        assertEquals(0, plan.splitFrom(0));
        assertEquals(spec.sk(), plan.splitFrom(256));
        for (int s = 1; s <= 256; s++) {
            assertEquals(0, plan.splitFrom(s) % 64);
            assertTrue(plan.splitFrom(s) > plan.splitFrom(s - 1), "split " + s);
        }
        assertEquals(256, plan.unitCount());
    }

    @Test
    void aDeviceKernelGetsChunksThatFillItAndNoHeapScratch() {
        KernelTraits gpu = new KernelTraits(32768, new KernelTraits.Scratch("on the GPU", "0", (qc, kc, d, dv, hg, t) -> 0L),
                KernelTraits.Memory.DEVICE, false);
        AttentionSpec spec = AttentionSpec.of(1 << 20, 1 << 20, 1, 1, 64, 64).withCausal(true);
        ChunkPlan p = ChunkPlan.create(new ChunkPlan.Request(spec, gpu, 4, GiB, 0, 0, false, 1));
        assertTrue(p.queryChunk() >= 4096, "q-chunk " + p.queryChunk());
        ChunkPlan cpu = TestTraits.create(spec, 4, GiB, 0, 0, false, 1);
        assertTrue(cpu.queryChunk() < p.queryChunk(), cpu.queryChunk() + " vs " + p.queryChunk());
        assertTrue(p.workingSet().stream().anyMatch(r -> r.name().contains("device memory") && r.bytes() == 0), p.workingSet().toString());
    }
}
