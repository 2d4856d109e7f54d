package io.longattn.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The default guided balance keeps its smallest partitions above a task's own cost; a guided balance asked for does not. */
class GuidedDefaultsTest {
    @TempDir
    Path dir;

    @Test
    void defaultGuidedHasAMinimumPartitionAndAnAskedGuidedHasNone() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 64, 64, 1, 1, 16, 16, 3);
        String out = dir.resolve("o.npy").toString();
        JobRequest byDefault = JobRequest.builder(qkv[0], qkv[1], qkv[2], out).master("local[2]").build();
        assertEquals(JobLauncher.GUIDED_MIN_PARTITION_FLOPS,
                JobLauncher.prepare(byDefault, JobEndToEndTest.QUIET).planned().guidedMinFlops());
        JobRequest asked = JobRequest.builder(qkv[0], qkv[1], qkv[2], out).master("local[2]")
                .conf("spark.longattn.balance", "guided").build();
        assertEquals(0, JobLauncher.prepare(asked, JobEndToEndTest.QUIET).planned().guidedMinFlops());
    }
}
