package io.longattn.job.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compute phase carries each task's compute seconds and, from a device kernel, its kernel seconds. */
class TimelineTest {
    @Test
    void kernelSecondsRideAlongWithTheComputePhaseWhenMeasured() {
        Timeline t = new Timeline();
        t.add("scheduling", 0.5, 1.0, null);
        t.add("compute", 1.0, 3.0, new double[]{1.5, 1.7}, new double[]{0.5004, 0.6});
        assertArrayEquals(new double[]{0.5004, 0.6}, t.phase("compute").kernelSeconds());
        assertEquals("scheduling 0.50 s, compute 2.00 s (tasks 1.50, 1.70 s; kernel 0.50, 0.60 s)", t.describe());
        String json = t.toJson().toString().replaceAll("\\s+", "");
        assertTrue(json.contains("\"task_seconds\":[1.5,1.7]"), json);
        assertTrue(json.contains("\"kernel_seconds\":[0.5,0.6]"), json);
    }

    @Test
    void hostKernelsHaveNoKernelSeconds() {
        Timeline t = new Timeline();
        t.add("compute", 1.0, 2.0, new double[]{0.9});
        assertNull(t.phase("compute").kernelSeconds());
        assertEquals("compute 1.00 s (tasks 0.90 s)", t.describe());
        assertFalse(t.toJson().toString().contains("kernel_seconds"));
    }
}
