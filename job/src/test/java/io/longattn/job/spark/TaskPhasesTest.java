package io.longattn.job.spark;

import io.longattn.job.report.Timeline;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The tasks' stamps and sums as the timeline's executor phases. */
class TaskPhasesTest {
    @Test
    void theComputePhaseHasEachTasksKernelSecondsOnlyWhenAKernelTimedItsLaunches() {
        long t0 = System.currentTimeMillis();
        Timeline gpu = new Timeline();
        AttentionJob.addTaskPhases(gpu, 0, List.of(new TaskClock.Task("0", t0, t0 + 100, t0 + 1300, 1.2, 0.1, 0.5),
                new TaskClock.Task("0", t0, t0 + 120, t0 + 1200, 1.05, 0.1, 0.45)));
        assertArrayEquals(new double[]{1.2, 1.05}, gpu.phase("compute").taskSeconds());
        assertArrayEquals(new double[]{0.5, 0.45}, gpu.phase("compute").kernelSeconds());
        Timeline cpu = new Timeline();
        AttentionJob.addTaskPhases(cpu, 0, List.of(new TaskClock.Task("0", t0, t0 + 100, t0 + 1300, 1.2, 0.1, 0)));
        assertNull(cpu.phase("compute").kernelSeconds());
    }

    @Test
    void setUpEndsWhenEverySlotComputesNotWhenTheLastGuidedTaskStarts() {
        long t0 = System.currentTimeMillis();
        Timeline t = new Timeline();
        // two slots of one executor: a then c on one, b then d on the other
        AttentionJob.addTaskPhases(t, 0, List.of(new TaskClock.Task("0", t0, t0 + 100, t0 + 1000, 0.9, 0.1, 0),
                new TaskClock.Task("0", t0, t0 + 200, t0 + 800, 0.6, 0.1, 0), new TaskClock.Task("0", t0 + 800, t0 + 810, t0 + 1500, 0.69, 0.1, 0),
                new TaskClock.Task("0", t0 + 1000, t0 + 1005, t0 + 1400, 0.395, 0.1, 0)));
        assertEquals(0.2, t.phase("executor_setup").seconds(), 0.002);
        assertEquals(1.4, t.phase("compute").seconds(), 0.002);
    }
}
