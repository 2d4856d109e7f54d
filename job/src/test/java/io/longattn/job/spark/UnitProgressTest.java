package io.longattn.job.spark;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Progress counts each partition once and never goes back; no estimate of the time left before it means something. */
class UnitProgressTest {
    @Test
    void lostAndRecomputedPartitionsCountOnce() {
        UnitProgress p = new UnitProgress(1, 2);
        p.record(0, 10, 100);
        p.record(1, 7, 70);
        assertEquals(17, p.unitsDone());
        // the executor running partition 1 is lost: its next attempt starts from 0
        p.record(1, 0, 0);
        p.record(1, 3, 30);
        assertEquals(17, p.unitsDone(), "never backwards");
        // partition 0's output was lost with the executor and is computed again, by a speculative copy too
        p.record(0, 10, 100);
        p.record(0, 10, 100);
        p.record(1, 12, 120);
        assertEquals(22, p.unitsDone(), "each partition once");
        assertEquals(220, p.pairsDone());
    }

    @Test
    void noEstimateBeforeATwentiethOfTheWork() throws Exception {
        UnitProgress units = new UnitProgress(1, 2);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        units.record(0, 1, 1); // 1 of 1000 pairs: a rate, no estimate
        try (Progress progress = new Progress(units, 100, 1000, 1e9, 1, ps)) {
            waitForLines(out, 1);
            units.record(0, 10, 100);
            waitForLines(out, 2);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertFalse(lines[0].contains("left"), lines[0]);
        assertTrue(lines[0].startsWith("longattn: progress 1/100 units, 0% of the work"), lines[0]);
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("longattn: progress 10/100 units, 10% of the work") && last.contains(" s left"), last);
    }

    private static void waitForLines(ByteArrayOutputStream out, int n) throws InterruptedException {
        for (int i = 0; i < 100 && out.toString(StandardCharsets.UTF_8).lines().count() < n; i++) Thread.sleep(100);
    }
}
