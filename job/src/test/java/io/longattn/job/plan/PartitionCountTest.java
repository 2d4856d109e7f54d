package io.longattn.job.plan;

import io.longattn.job.UserError;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The partition count as a function of the configuration and the executors that registered. */
class PartitionCountTest {
    static final String STANDALONE = "spark://127.0.0.1:7077";
    static final JobPlanner.KernelPick SIMD = new JobPlanner.KernelPick("simd", "simd", "test");
    static final JobPlanner.KernelPick CUDA = new JobPlanner.KernelPick("cuda", "cuda", "test");

    /** The count before Spark for a host kernel (the rule most tests are about). */
    static PartitionCount before(Map<String, String> conf, String master) {
        return PartitionCount.beforeSpark(conf, master, SIMD);
    }

    @Test
    void aLocalMasterRunningTheGpuKernelPlansOnePartitionPerGpu() {
        // the traits say where the kernel computes: no GPU is needed to plan for one
        PartitionCount cuda = PartitionCount.beforeSpark(Map.of(), "local[*]", CUDA);
        assertEquals(1, cuda.partitions());
        assertEquals("one per GPU: kernel cuda on local[*] runs every task on GPU 0", cuda.reason());
        PartitionCount second = PartitionCount.beforeSpark(Map.of(), "local[16]", new JobPlanner.KernelPick("cuda", "cuda:1", "test"));
        assertEquals(new PartitionCount(1, "one per GPU: kernel cuda:1 on local[16] runs every task on GPU 1"), second);
        assertEquals(new PartitionCount(16, "local[16] threads"), PartitionCount.beforeSpark(Map.of(), "local[16]", SIMD));
        assertEquals(new PartitionCount(4, "--partitions"),
                PartitionCount.beforeSpark(Map.of("spark.longattn.partitions", "4"), "local[*]", CUDA), "--partitions still decides");
        assertEquals(new PartitionCount(3, "spark.default.parallelism"),
                PartitionCount.beforeSpark(Map.of("spark.default.parallelism", "3"), "local[*]", CUDA));
        assertEquals(16, PartitionCount.beforeSpark(Map.of(), "local-cluster[16,1,3072]", CUDA).partitions(),
                "a cluster's executors are not this rule's: Spark hands their tasks GPUs of their own");
        assertNull(PartitionCount.perGpu(STANDALONE, CUDA));
        assertNull(PartitionCount.perGpu("local[4]", SIMD));
    }

    @Test
    void givenCountAndLocalThreadsAreKnownBeforeSpark() {
        assertEquals(new PartitionCount(7, "--partitions"),
                before(Map.of("spark.longattn.partitions", "7"), STANDALONE));
        assertEquals(new PartitionCount(3, "local[3] threads"), before(Map.of(), "local[3]"));
        assertEquals(5, before(Map.of("spark.default.parallelism", "5"), STANDALONE).partitions());
    }

    @Test
    void configuredTotalsAreUsedBeforeSpark() {
        PartitionCount lc = before(Map.of(), "local-cluster[16,1,3072]");
        assertEquals(16, lc.partitions());
        assertEquals("16 executors x 1 core from the master local-cluster[16,1,3072]", lc.reason());

        PartitionCount inst = before(Map.of("spark.executor.instances", "4", "spark.executor.cores", "3",
                "spark.task.cpus", "2"), "yarn");
        assertEquals(6, inst.partitions(), "12 cores, 2 per task");
        assertEquals("4 executors x 3 cores from spark.executor.instances x spark.executor.cores", inst.reason());

        assertEquals(5, before(Map.of("spark.executor.instances", "5"), "k8s://https://h:443").partitions(),
                "one core per executor is Kubernetes' default");
        assertEquals(8, before(Map.of("spark.cores.max", "8"), STANDALONE).partitions());
        assertEquals(20, before(Map.of("spark.dynamicAllocation.enabled", "true",
                "spark.dynamicAllocation.maxExecutors", "10", "spark.executor.cores", "2"), STANDALONE).partitions());
    }

    @Test
    void aStandaloneMasterWithoutCountsWaitsForRegistration() {
        assertNull(before(Map.of(), STANDALONE));
        assertNull(before(Map.of("spark.executor.instances", "4"), STANDALONE), "cores per executor unknown");
        PartitionCount.Expected none = PartitionCount.expected(Map.of(), STANDALONE);
        assertFalse(PartitionCount.enoughRegistered(none, 0.8, 0, 10));
        assertFalse(PartitionCount.enoughRegistered(none, 0.8, 2, 0.5), "an executor joined just now");
        assertTrue(PartitionCount.enoughRegistered(none, 0.8, 2, PartitionCount.SETTLE_SECONDS));

        PartitionCount.Expected four = PartitionCount.expected(Map.of("spark.executor.instances", "4"), STANDALONE);
        assertEquals(4, four.executors());
        assertFalse(PartitionCount.enoughRegistered(four, 0.8, 3, 100));
        assertTrue(PartitionCount.enoughRegistered(four, 0.75, 3, 0));
        assertTrue(PartitionCount.enoughRegistered(four, 0.8, 4, 0));
    }

    @Test
    void registeredExecutorsGiveTheCountAndSayHowLongItTook() {
        PartitionCount.Expected none = PartitionCount.expected(Map.of(), STANDALONE);
        PartitionCount two = PartitionCount.registered(Map.of(), STANDALONE, 2, 2, 2.13, false, none);
        assertEquals(new PartitionCount(2, "2 executors x 1 core registered after 2.1 s"), two);
        assertEquals(16, PartitionCount.registered(Map.of(), STANDALONE, 16, 16, 3, false, none).partitions());
        assertEquals(8, PartitionCount.registered(Map.of("spark.task.cpus", "2"), STANDALONE, 4, 16, 3, false, none).partitions());
        // Spark reports at least 2 cores, so one executor's own count is unknown
        assertTrue(PartitionCount.registered(Map.of(), STANDALONE, 1, 2, 2, false, none).reason().contains("cores unknown"));

        PartitionCount.Expected four = PartitionCount.expected(Map.of("spark.executor.instances", "4"), STANDALONE);
        PartitionCount late = PartitionCount.registered(Map.of("spark.executor.instances", "4"), STANDALONE, 3, 3, 30, true, four);
        assertEquals(3, late.partitions());
        assertTrue(late.reason().contains("4 expected from spark.executor.instances")
                && late.reason().contains("maxRegisteredResourcesWaitingTime"), late.reason());
    }

    @Test
    void schedulerSettingsAreReadAsSparkReadsThem() {
        assertEquals(0.8, PartitionCount.minRegisteredRatio(Map.of()));
        assertEquals(30, PartitionCount.maxWaitSeconds(Map.of()));
        assertEquals(0.5, PartitionCount.maxWaitSeconds(Map.of("spark.scheduler.maxRegisteredResourcesWaitingTime", "500")));
        assertEquals(120, PartitionCount.maxWaitSeconds(Map.of("spark.scheduler.maxRegisteredResourcesWaitingTime", "2min")));
        UserError bad = assertThrows(UserError.class,
                () -> PartitionCount.minRegisteredRatio(Map.of("spark.scheduler.minRegisteredResourcesRatio", "2")));
        assertTrue(bad.getMessage().contains("spark.scheduler.minRegisteredResourcesRatio"), bad.getMessage());
        assertThrows(UserError.class, () -> before(Map.of("spark.executor.instances", "many"), STANDALONE));
    }
}
