package io.longattn.job.spark;

import io.longattn.job.report.Timeline;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The tasks' stamps and sums as the timeline's executor phases. */
class TaskPhasesTest {
    @Test
    void theComputePhaseHasEachTasksKernelSecondsOnlyWhenAKernelTimedItsLaunches() {
        long t0 = System.currentTimeMillis();
        Timeline gpu = new Timeline();
        AttentionJob.addTaskPhases(gpu, 0, List.of(new TaskClock.Task(t0, t0 + 100, t0 + 1300, 1.2, 0.1, 0.5),
                new TaskClock.Task(t0, t0 + 120, t0 + 1200, 1.05, 0.1, 0.45)));
        assertArrayEquals(new double[]{1.2, 1.05}, gpu.phase("compute").taskSeconds());
        assertArrayEquals(new double[]{0.5, 0.45}, gpu.phase("compute").kernelSeconds());
        Timeline cpu = new Timeline();
        AttentionJob.addTaskPhases(cpu, 0, List.of(new TaskClock.Task(t0, t0 + 100, t0 + 1300, 1.2, 0.1, 0)));
        assertNull(cpu.phase("compute").kernelSeconds());
    }
}
