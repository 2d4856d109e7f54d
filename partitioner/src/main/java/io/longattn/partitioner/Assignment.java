package io.longattn.partitioner;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Which partition runs each unit. {@code partitionOf[unitIndex]} is the partition; units inside a
 * partition run in ascending index order. Three policies for P task slots: contiguous (P partitions of
 * equal unit counts in index order, the baseline), balanced (P partitions, greedy
 * longest-processing-time-first fill, which keeps the costliest partition within a few percent of the
 * mean once there are several units per partition) and guided (more partitions than slots, shrinking
 * from first to last, which Spark hands to whichever slot is free: slots that run slower, or start
 * later, take fewer).
 */
public final class Assignment implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Policy { CONTIGUOUS, BALANCED, GUIDED }

    private final Policy policy;
    private final int partitions;
    private final int[] partitionOf;
    private final long[] load;

    private Assignment(Policy policy, int partitions, int[] partitionOf, long[] load) {
        this.policy = policy;
        this.partitions = partitions;
        this.partitionOf = partitionOf;
        this.load = load;
    }

    /** @param partitions the task slots: the partitions themselves, except for guided, which makes more */
    public static Assignment of(Policy policy, List<UnitOfWork> units, int partitions) {
        return of(policy, units, partitions, 1);
    }

    /** As {@link #of(Policy, List, int)}, with guided partitions of at least {@code minGuidedCost} (see {@link #guided}). */
    public static Assignment of(Policy policy, List<UnitOfWork> units, int partitions, long minGuidedCost) {
        return switch (policy) {
            case BALANCED -> balanced(units, partitions);
            case CONTIGUOUS -> contiguous(units, partitions);
            case GUIDED -> guided(units, partitions, minGuidedCost);
        };
    }

    /**
     * Guided self-scheduling (Polychronopoulos and Kuck 1987) over units taken costliest first (ties by index):
     * each partition takes at least one unit, and more while it stays within the remaining cost / (2 x slots),
     * or total / (64 x slots) once that is the larger. Spark starts partitions in order as slots free up, so each slot
     * starts with about half its share and ends on small partitions: a slot that runs slower than the others
     * (a busier core, a JVM still compiling, a later start) takes fewer, and all slots finish within about one
     * small partition of each other, where a fixed split would finish with the slowest. About 9 x slots
     * partitions when units are small next to 1/64 of a slot's share, more (up to one per unit) when they
     * are not; never fewer than min(slots, units).
     */
    public static Assignment guided(List<UnitOfWork> units, int slots) {
        return guided(units, slots, 1);
    }

    /**
     * As {@link #guided(List, int)}, with no partition below {@code minCost} (unless its units run out): each task
     * has a fixed cost of its own (the 65,536-token job's last guided tasks on 2 cores took ~0.1 s more than
     * their work), so a caller that knows the work per cost unit keeps the smallest partitions well above it.
     */
    public static Assignment guided(List<UnitOfWork> units, int slots, long minCost) {
        // one slot has nobody to balance against
        if (slots == 1) return balanced(units, 1).as(Policy.GUIDED);
        int n = units.size();
        UnitOfWork[] sorted = units.toArray(new UnitOfWork[0]);
        Arrays.sort(sorted, Comparator.comparingLong((UnitOfWork u) -> -u.cost).thenComparingInt(u -> u.index));
        long total = 0;
        for (UnitOfWork u : sorted) total += u.cost;
        long floor = Math.max(Math.max(1, minCost), total / (GUIDED_SMALLEST * (long) slots));
        int[] of = new int[n];
        List<Long> loads = new ArrayList<>();
        long remaining = total;
        int i = 0;
        while (i < n) {
            long target = Math.max(floor, remaining / (2L * slots));
            long load = 0;
            int p = loads.size();
            // at least one unit; a zero-cost unit (a sequence without keys) rides along with its neighbours
            do {
                of[sorted[i].index] = p;
                load += sorted[i].cost;
                i++;
            } while (i < n && load + sorted[i].cost <= target);
            loads.add(load);
            remaining -= load;
        }
        // fewer partitions than slots would leave slots idle that a unit could use: split by LPT instead
        if (loads.size() < Math.min(slots, n)) return balanced(units, slots).as(Policy.GUIDED);
        long[] load = new long[loads.size()];
        for (int p = 0; p < load.length; p++) load[p] = loads.get(p);
        return new Assignment(Policy.GUIDED, load.length, of, load);
    }

    /**
     * The smallest guided partition's share of a slot's work: 1 / 64 of it (one unit, where units are larger).
     * Slots end within about one such partition of each other: at 1 / 16, a 262,144-token job on 2 cores
     * (~100 s per slot) ended with one slot idle for 2.8 s.
     */
    static final int GUIDED_SMALLEST = 64;

    private Assignment as(Policy p) {
        return new Assignment(p, partitions, partitionOf, load);
    }

    /** Units in index order cut into partitions of (almost) equal unit counts. */
    public static Assignment contiguous(List<UnitOfWork> units, int partitions) {
        int n = units.size();
        int[] of = new int[n];
        long[] load = new long[partitions];
        for (UnitOfWork u : units) {
            int p = (int) ((long) u.index * partitions / Math.max(1, n));
            of[u.index] = p;
            load[p] += u.cost;
        }
        return new Assignment(Policy.CONTIGUOUS, partitions, of, load);
    }

    /**
     * Longest processing time first (Graham 1969): take units by decreasing cost (ties by index, so the
     * result is deterministic), give each to the least loaded partition (ties by partition number).
     */
    public static Assignment balanced(List<UnitOfWork> units, int partitions) {
        int n = units.size();
        UnitOfWork[] sorted = units.toArray(new UnitOfWork[0]);
        Arrays.sort(sorted, Comparator.comparingLong((UnitOfWork u) -> -u.cost).thenComparingInt(u -> u.index));
        long[] load = new long[partitions];
        PriorityQueue<Integer> heap = new PriorityQueue<>(partitions,
                (a, b) -> load[a] != load[b] ? Long.compare(load[a], load[b]) : Integer.compare(a, b));
        for (int p = 0; p < partitions; p++) heap.add(p);
        int[] of = new int[n];
        for (UnitOfWork u : sorted) {
            int p = heap.poll();
            of[u.index] = p;
            load[p] += u.cost;
            heap.add(p);
        }
        refine(units, partitions, of, load);
        return new Assignment(Policy.BALANCED, partitions, of, load);
    }

    /**
     * LPT can leave the costliest partition one medium unit above the rest. Repeatedly take the costliest
     * partition and apply the single move (a unit to another partition) or swap (one unit each way) that
     * lowers the larger of the two partitions' loads the most; stop when nothing lowers it or the
     * costliest is within 1% of the mean. Deterministic: partitions and units are scanned in order.
     */
    private static void refine(List<UnitOfWork> units, int partitions, int[] of, long[] load) {
        List<List<UnitOfWork>> parts = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) parts.add(new ArrayList<>());
        for (UnitOfWork u : units) parts.get(of[u.index]).add(u);
        long total = 0;
        for (long l : load) total += l;
        double mean = (double) total / partitions;
        for (int iter = 0; iter < 2000; iter++) {
            int hi = 0;
            for (int p = 1; p < partitions; p++) if (load[p] > load[hi]) hi = p;
            if (load[hi] <= 1.01 * mean) return;
            UnitOfWork bestU = null, bestV = null;
            int bestQ = -1;
            long bestDelta = 0, bestPeak = load[hi];
            for (int q = 0; q < partitions; q++) {
                long gap = load[hi] - load[q];
                if (q == hi || gap <= 0) continue;
                for (UnitOfWork u : parts.get(hi)) {
                    if (u.cost < gap) {
                        long peak = Math.max(load[hi] - u.cost, load[q] + u.cost);
                        if (peak < bestPeak) {
                            bestPeak = peak; bestU = u; bestV = null; bestQ = q; bestDelta = u.cost;
                        }
                    }
                    for (UnitOfWork v : parts.get(q)) {
                        long delta = u.cost - v.cost;
                        if (delta <= 0 || delta >= gap) continue;
                        long peak = Math.max(load[hi] - delta, load[q] + delta);
                        if (peak < bestPeak) {
                            bestPeak = peak; bestU = u; bestV = v; bestQ = q; bestDelta = delta;
                        }
                    }
                }
            }
            if (bestU == null) return;
            parts.get(hi).remove(bestU);
            parts.get(bestQ).add(bestU);
            of[bestU.index] = bestQ;
            if (bestV != null) {
                parts.get(bestQ).remove(bestV);
                parts.get(hi).add(bestV);
                of[bestV.index] = hi;
            }
            load[hi] -= bestDelta;
            load[bestQ] += bestDelta;
        }
    }

    /**
     * A lower bound on the costliest partition of any assignment: the mean, and for every j, since some
     * partition holds j + 1 of the j * P + 1 costliest units, (j + 1) times the (j * P + 1)-th cost.
     * Equal-cost units whose count is not a multiple of P make this bound exceed the mean.
     */
    public static long lowerBound(List<UnitOfWork> units, int partitions) {
        long[] c = units.stream().mapToLong(u -> u.cost).sorted().toArray();
        int n = c.length;
        long total = 0;
        for (long x : c) total += x;
        long best = (total + partitions - 1) / partitions;
        for (int j = 0; (long) j * partitions < n; j++) {
            best = Math.max(best, (j + 1) * c[n - 1 - j * partitions]);
        }
        return best;
    }

    public Policy policy() {
        return policy;
    }

    public int partitions() {
        return partitions;
    }

    public int partitionOf(int unitIndex) {
        return partitionOf[unitIndex];
    }

    public long[] loads() {
        return load.clone();
    }

    public long maxLoad() {
        return Arrays.stream(load).max().orElse(0);
    }

    public double meanLoad() {
        return Arrays.stream(load).average().orElse(0);
    }

    /** Costliest partition over the mean: 1.0 is perfect balance. */
    public double maxOverMean() {
        double mean = meanLoad();
        return mean == 0 ? 1.0 : maxLoad() / mean;
    }

    /** The units of each partition, in index order. */
    public List<List<UnitOfWork>> byPartition(List<UnitOfWork> units) {
        List<List<UnitOfWork>> parts = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) parts.add(new ArrayList<>());
        for (UnitOfWork u : units) parts.get(partitionOf[u.index]).add(u);
        for (List<UnitOfWork> l : parts) l.sort(null);
        return parts;
    }
}
