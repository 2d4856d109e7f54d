package io.longattn.partitioner;

import io.longattn.kernels.AttentionSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plans of many sequences: coverage, per-sequence costs, and balance over random length mixes. */
class SequencesPlanTest {
    static final long GiB = 1L << 30;

    static ChunkPlan plan(Sequences seqs, boolean causal, int window, int hq, int hkv, int partitions) {
        AttentionSpec spec = AttentionSpec.of(seqs.totalQ(), Math.max(1, seqs.totalK()), hq, hkv, 64, 64).withCausal(causal);
        if (window >= 0) spec = spec.withWindow(window, 0);
        return ChunkPlan.create(new ChunkPlan.Request(spec, TestTraits.THREADED, partitions, GiB, 0, 0, false, 1, seqs));
    }

    @Test
    void unitsCoverEverySequenceQueryOnceWithItsOwnMask() {
        Sequences seqs = Sequences.ofLengths(new int[]{1, 7, 300, 1000, 0, 4097, 5}, new int[]{1, 20, 300, 500, 9, 4097, 0});
        ChunkPlan plan = plan(seqs, true, -1, 4, 2, 3);
        List<UnitOfWork> units = plan.units();
        assertEquals(plan.unitCount(), units.size());
        int[] seen = new int[seqs.totalQ()];
        long pairs = 0;
        for (int i = 0; i < units.size(); i++) {
            UnitOfWork u = units.get(i);
            assertEquals(i, u.index, "units in order-key order");
            assertTrue(u.q0 + u.tokens <= seqs.sq(u.sequence));
            assertEquals(0, u.kvFrom);
            assertEquals(seqs.sk(u.sequence), u.kvTo);
            if (u.group == 0) {
                for (int t = 0; t < u.tokens; t++) seen[seqs.qStart(u.sequence) + u.q0 + t]++;
                if (seqs.sk(u.sequence) > 0) pairs += plan.sequenceSpec(u.sequence).mask().unmaskedPairs(u.q0, u.tokens);
            }
        }
        for (int s : seen) assertEquals(1, s);
        assertEquals(plan.totalPairs(), pairs);
        // causal bottom-right per sequence: 7 queries on 20 keys see 14..20 keys; 1000 on 500: the first 500 see none
        assertEquals(7L * 14 + 21, plan.sequenceSpec(1).mask().unmaskedPairs(0, 7));
        assertEquals(500L * 501 / 2, plan.sequenceSpec(3).mask().unmaskedPairs(0, 1000));
        assertEquals(plan.units(3).size(), ChunkPlan.ceilDiv(1000, plan.queryChunk()) * 2);
        // a sequence without queries has no unit; one without keys has its units at the overhead cost
        assertTrue(plan.units(4).isEmpty());
        assertTrue(plan.units(6).stream().allMatch(u -> u.cost == CostModel.UNIT_OVERHEAD && u.kvTo == 0));
    }

    @Test
    void aBatchIsEqualSequences() {
        ChunkPlan plan = plan(Sequences.batch(4, 300, 300), true, -1, 2, 2, 2);
        AttentionSpec one = AttentionSpec.of(300, 300, 2, 2, 64, 64).withCausal(true);
        assertEquals(4 * one.flops(), plan.totalFlops(), 1e-6 * plan.totalFlops());
        for (int i = 0; i < 4; i++) assertEquals(one, plan.sequenceSpec(i));
    }

    @Test
    void splitKeysOfManySequencesIsRefused() {
        Sequences seqs = Sequences.batch(2, 10, 10);
        AttentionSpec spec = AttentionSpec.of(20, 20, 1, 1, 8, 8);
        assertThrows(IllegalArgumentException.class,
                () -> new ChunkPlan.Request(spec, TestTraits.THREADED, 2, GiB, 0, 0, true, 1, seqs));
    }

    /** A random mix: lengths drawn log-uniformly, sometimes one long sequence among thousands of short ones. */
    static Sequences mix(Random r, int trial) {
        int n = trial % 4 == 0 ? 2000 + r.nextInt(2000) : 1 + r.nextInt(400);
        int[] sq = new int[n], sk = new int[n];
        for (int i = 0; i < n; i++) {
            sq[i] = 1 + (int) Math.exp(r.nextDouble() * Math.log(trial % 4 == 0 ? 300 : 5000));
            sk[i] = r.nextInt(8) == 0 ? 1 + r.nextInt(3 * sq[i]) : sq[i];
        }
        if (trial % 2 == 0) {
            int long1 = r.nextInt(n);
            sq[long1] = 20_000 + r.nextInt(60_000);
            sk[long1] = sq[long1];
        }
        return Sequences.ofLengths(sq, sk);
    }

    @Test
    void balancedWithinFivePercentForAnyMixOfLengths() {
        Random r = new Random(15);
        for (int trial = 0; trial < 24; trial++) {
            Sequences seqs = mix(r, trial);
            boolean causal = r.nextBoolean();
            int window = r.nextInt(3) == 0 ? 64 + r.nextInt(1000) : -1;
            int hkv = 1 + r.nextInt(2);
            int partitions = 2 + r.nextInt(15);
            ChunkPlan plan = plan(seqs, causal, window, 2 * hkv, hkv, partitions);
            Assignment a = Assignment.balanced(plan.units(), partitions);
            String what = "trial " + trial + ": " + seqs.count() + " sequences (longest " + seqs.maxSq() + "), causal "
                    + causal + ", window " + window + ", " + partitions + " partitions, q-chunk " + plan.queryChunk();
            assertTrue(a.maxOverMean() <= 1.05, what + ": max/mean " + a.maxOverMean());
        }
    }
}
