package io.longattn.partitioner;

import io.longattn.kernels.AttentionSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guided partitions: every unit once, shrinking sizes, and an even end when one slot runs slower than the rest. */
class GuidedAssignmentTest {

    private static List<UnitOfWork> causalUnits(int sq, int qc, int hkv) {
        AttentionSpec spec = AttentionSpec.of(sq, sq, hkv, hkv, 64, 64).withCausal(true);
        return TestTraits.plan(spec, qc, 256, 1, Long.MAX_VALUE, 1).units();
    }

    @Test
    void everyUnitOnceInPartitionsThatShrinkFromFirstToLast() {
        for (int slots : new int[]{2, 3, 16, 64}) {
            List<UnitOfWork> units = causalUnits(262_144, 512, 2);
            Assignment a = Assignment.guided(units, slots);
            assertEquals(Assignment.Policy.GUIDED, a.policy());
            assertTrue(a.partitions() > slots, slots + " slots: " + a.partitions() + " partitions");
            assertTrue(a.partitions() <= Math.min(units.size(), 12 * slots), slots + " slots: " + a.partitions() + " partitions");
            int count = 0;
            for (List<UnitOfWork> p : a.byPartition(units)) count += p.size();
            assertEquals(units.size(), count);
            long[] load = a.loads();
            long total = 0;
            for (long l : load) total += l;
            // the first slots' worth of partitions holds about half the work, the last ones 1/64 of a share or so
            assertTrue(load[0] >= 4 * load[load.length - 1], "first " + load[0] + " last " + load[load.length - 1]);
            assertTrue(load[0] <= total / (2 * slots) + units.get(0).cost, "first partition " + load[0]);
        }
    }

    @Test
    void aMinimumCostKeepsTheLastPartitionsLarger() {
        List<UnitOfWork> units = causalUnits(262_144, 512, 2);
        long total = 0, largest = 0;
        for (UnitOfWork u : units) {
            total += u.cost;
            largest = Math.max(largest, u.cost);
        }
        Assignment fine = Assignment.guided(units, 2);
        long min = total / 40;
        Assignment coarse = Assignment.guided(units, 2, min);
        assertTrue(coarse.partitions() < fine.partitions(), coarse.partitions() + " vs " + fine.partitions());
        long[] load = coarse.loads();
        // every partition but the one the units ran out on is within one unit of the minimum (a partition stops
        // before the unit that would take it past its target)
        for (int p = 0; p < load.length - 1; p++) assertTrue(load[p] > min - largest, p + ": " + load[p]);
        int count = 0;
        for (List<UnitOfWork> p : coarse.byPartition(units)) count += p.size();
        assertEquals(units.size(), count);
    }

    @Test
    void oneSlotIsOnePartitionAndFewUnitsStillFillEverySlot() {
        List<UnitOfWork> units = causalUnits(4096, 512, 1); // 8 units
        assertEquals(1, Assignment.guided(units, 1).partitions());
        Assignment a = Assignment.guided(units, 8);
        assertEquals(8, a.partitions(), "8 units on 8 slots: one each");
        for (List<UnitOfWork> p : a.byPartition(units)) assertEquals(1, p.size());
    }

    /** Spark's order: partitions start in index order on whichever slot frees first; returns the last finish. */
    static double makespan(long[] loads, double[] speed) {
        PriorityQueue<double[]> free = new PriorityQueue<>((x, y) -> x[0] != y[0] ? Double.compare(x[0], y[0]) : Double.compare(x[1], y[1]));
        for (int s = 0; s < speed.length; s++) free.add(new double[]{0, s});
        double end = 0;
        for (long l : loads) {
            double[] slot = free.poll();
            slot[0] += l / speed[(int) slot[1]];
            end = Math.max(end, slot[0]);
            free.add(slot);
        }
        return end;
    }

    @Test
    void aSlowSlotTakesLessWorkSoEveryoneEndsTogether() {
        List<UnitOfWork> units = causalUnits(262_144, 512, 2);
        int slots = 16;
        double[] speed = new double[slots];
        java.util.Arrays.fill(speed, 1.0);
        speed[3] = 0.7; // a busier core, or a JVM still compiling
        long total = 0;
        for (UnitOfWork u : units) total += u.cost;
        double ideal = total / (slots - 1 + 0.7);
        double lpt = makespan(Assignment.balanced(units, slots).loads(), speed);
        double guided = makespan(Assignment.guided(units, slots).loads(), speed);
        assertTrue(lpt > 1.3 * ideal, "lpt waits for the slow slot: " + lpt / ideal);
        assertTrue(guided < 1.08 * ideal, "guided ends within 8% of the ideal: " + guided / ideal);
        List<Long> loads = new ArrayList<>();
        for (long l : Assignment.guided(units, slots).loads()) loads.add(l);
        assertTrue(loads.size() > slots, loads.toString());
    }
}
