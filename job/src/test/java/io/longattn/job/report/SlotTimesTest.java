package io.longattn.job.report;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class SlotTimesTest {
    @Test
    void tasksThatFollowEachOtherShareASlotAndOverlappingOnesDoNot() {
        // executor 1 has two slots: a (0-4 s) then c (4-5 s) on one, b (0-2 s) then d (2.5-6 s) on the other;
        // executor 2 has one slot that ran e and f back to back
        List<SlotTimes.Span> spans = List.of(
                new SlotTimes.Span("1", 0, 4000), new SlotTimes.Span("1", 0, 2000), new SlotTimes.Span("1", 4000, 5000),
                new SlotTimes.Span("1", 2500, 6000), new SlotTimes.Span("2", 100, 3100), new SlotTimes.Span("2", 3200, 3700));
        double[] busy = SlotTimes.busySeconds(new java.util.ArrayList<>(spans));
        Arrays.sort(busy);
        assertArrayEquals(new double[]{3.5, 5.0, 5.5}, busy, 1e-9);
    }

    @Test
    void oneTaskPerSlotIsEachTasksTime() {
        double[] busy = SlotTimes.busySeconds(new java.util.ArrayList<>(List.of(new SlotTimes.Span("a", 0, 1500),
                new SlotTimes.Span("b", 10, 2010))));
        Arrays.sort(busy);
        assertArrayEquals(new double[]{1.5, 2.0}, busy, 1e-9);
    }
}
