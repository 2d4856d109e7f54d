package io.longattn.job.plan;

import io.longattn.job.UserError;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelSelector;
import io.longattn.kernels.KernelTraits;
import io.longattn.partitioner.ChunkPlan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job's side of the GPU kernel that needs no GPU: task placement and planning with its traits. */
class JobPlannerGpuTest {

    @Test
    void aTaskRunsOnTheGpuSparkAssignedIt() {
        JobPlanner.KernelPick cuda = new JobPlanner.KernelPick("cuda", "cuda", "auto: cuda");
        assertEquals("cuda:3", JobPlanner.executorRequest(cuda, "3"));
        assertEquals("cuda", JobPlanner.executorRequest(cuda, null));
        // a GPU the user named stays; CPU kernels ignore GPU addresses
        assertEquals("cuda:1", JobPlanner.executorRequest(new JobPlanner.KernelPick("cuda", "cuda:1", "requested"), "3"));
        assertEquals("simd:6x4", JobPlanner.executorRequest(new JobPlanner.KernelPick("simd", "simd:6x4", "requested"), "0"));
    }

    @Test
    void aGpuJobIsPlannedWithTheCudaTraitsOnAMachineWithoutAGpu() {
        assumeFalse(KernelSelector.standard().available().contains("cuda"), "this machine has a usable GPU");
        JobPlanner.KernelPick pick = JobPlanner.planKernel("cuda", 1);
        assertEquals("cuda", pick.name());
        assertTrue(pick.reason().startsWith("planned with its traits; not usable on this machine: "), pick.reason());
        AttentionSpec spec = AttentionSpec.of(1 << 20, 1 << 20, 1, 1, 64, 64).withCausal(true);
        ChunkPlan gpu = JobPlanner.plan(new JobPlanner.PlanRequest(spec, pick, 4, 1L << 30, 0, 0, false, 1));
        ChunkPlan cpu = JobPlanner.plan(new JobPlanner.PlanRequest(spec, JobPlanner.pickKernel("scalar", 1), 4, 1L << 30, 0, 0, false, 1));
        assertTrue(gpu.queryChunk() > cpu.queryChunk(), gpu.queryChunk() + " vs " + cpu.queryChunk());
        assertEquals(KernelTraits.Memory.DEVICE, KernelSelector.standard().traitsOf("cuda").memory());
        // running it is still refused, with the reason
        UserError e = assertThrows(UserError.class, () -> JobPlanner.pickKernel("cuda", 1));
        assertTrue(e.getMessage().contains("--kernel"), e.getMessage());
        // an unknown kernel is refused by plan too
        assertThrows(UserError.class, () -> JobPlanner.planKernel("tpu", 1));
        assertThrows(UserError.class, () -> JobPlanner.planKernel("cuda:x", 1));
    }
}
