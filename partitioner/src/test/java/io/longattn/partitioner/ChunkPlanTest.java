package io.longattn.partitioner;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.SimdKernel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkPlanTest {
    static final long GiB = 1L << 30;

    @Test
    void workingSetDoesNotGrowWithSequenceLength() {
        ChunkPlan small = ChunkPlan.create(AttentionSpec.of(1 << 20, 1 << 20, 8, 2, 64, 64).withCausal(true), 16, GiB, 0, 0, 1, 1);
        ChunkPlan large = ChunkPlan.create(AttentionSpec.of(1 << 24, 1 << 24, 8, 2, 64, 64).withCausal(true), 16, GiB, 0, 0, 1, 1);
        assertEquals(small.queryChunk(), large.queryChunk());
        assertEquals(small.kvChunk(), large.kvChunk());
        assertEquals(small.workingSet(), large.workingSet());
        assertEquals(small.workingSetBytes(), large.workingSetBytes());
        assertTrue(large.workingSetBytes() < 8L << 20, "a few MiB: " + large.workingSetBytes());
        assertEquals(16 * small.chunks(), large.chunks());
    }

    @Test
    void smallBudgetShrinksChunksAndTooSmallNamesTheMinimum() {
        AttentionSpec spec = AttentionSpec.of(1 << 16, 1 << 16, 4, 4, 128, 128);
        ChunkPlan roomy = ChunkPlan.create(spec, 4, GiB, 0, 0, 1, 1);
        long smallest = new ChunkPlan(spec, ChunkPlan.MIN_QUERY_CHUNK, ChunkPlan.MIN_KV_CHUNK, 1, 0, 1).workingSetBytes();
        long budget = (roomy.workingSetBytes() + smallest) / 2;
        ChunkPlan tight = ChunkPlan.create(spec, 4, budget, 0, 0, 1, 1);
        assertTrue(tight.workingSetBytes() <= budget);
        assertTrue(tight.kvChunk() < roomy.kvChunk() || tight.queryChunk() < roomy.queryChunk());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChunkPlan.create(spec, 4, 10_000, 0, 0, 1, 1));
        ChunkPlan min = new ChunkPlan(spec, ChunkPlan.MIN_QUERY_CHUNK, ChunkPlan.MIN_KV_CHUNK, 1, 0, 1);
        assertTrue(e.getMessage().contains("expected at least " + min.workingSetBytes() + " bytes"), e.getMessage());
    }

    @Test
    void unitsCoverEveryQueryOnceAndCostCountsExactPairs() {
        AttentionSpec spec = AttentionSpec.of(1000, 700, 6, 3, 32, 16).withWindow(100, 20);
        ChunkPlan plan = ChunkPlan.create(spec, 3, GiB, 64, 128, 1, 1);
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
        ChunkPlan plan = ChunkPlan.create(spec, 8, GiB, 0, 256, 7, 1);
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
        ChunkPlan one = ChunkPlan.create(spec, 2, GiB, 0, 0, 1, 1);
        ChunkPlan many = ChunkPlan.create(spec, 2, GiB, 0, 0, 1, 16);
        assertEquals(ChunkPlan.DEFAULT_QUERY_CHUNK, one.queryChunk());
        // 16 threads x ROWS_PER_THREAD rows / 2 rows per token, as a power of two
        assertEquals(1024, many.queryChunk());
        assertTrue(many.queryChunk() * spec.groupSize() >= SimdKernel.ROWS_PER_THREAD * 16);
        long kvBlock = (long) many.kvChunk() * (64 + 64) * 4;
        assertTrue(one.workingSet().stream().anyMatch(r -> r.bytes() == kvBlock && r.name().equals("kv block of one head")));
        assertTrue(many.workingSet().stream().anyMatch(r -> r.bytes() == 2 * kvBlock && r.name().startsWith("kv blocks of one head")));
        // the partitions still get their 4 units each: the thread rule only sets where Qc starts
        ChunkPlan wide = ChunkPlan.create(spec, 64, GiB, 0, 0, 1, 16);
        assertTrue(wide.unitCount() >= 4 * 64, "units " + wide.unitCount());
    }
}
