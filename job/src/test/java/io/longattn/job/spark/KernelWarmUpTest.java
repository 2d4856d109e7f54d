package io.longattn.job.spark;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelSelector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up runs once per JVM and kernel configuration, and not at all when turned off. */
class KernelWarmUpTest {
    @Test
    void warmsOncePerConfigurationAndNeverWhenOff() {
        AttentionSpec spec = AttentionSpec.of(1000, 1200, 4, 2, 24, 16).withCausal(true);
        java.util.function.Function<AttentionSpec, AttentionKernel> scalar = s -> KernelSelector.standard().select("scalar").create(s, 1);
        assertEquals(0, KernelWarmUp.ensure(spec, scalar, "scalar", 1, 128, 0), "0 s: off");
        assertTrue(KernelWarmUp.ensure(spec, scalar, "scalar", 1, 128, 0.05) > 0, "first time: runs");
        assertEquals(0, KernelWarmUp.ensure(spec, scalar, "scalar", 1, 128, 0.05), "same configuration: done already");
        AttentionSpec window = AttentionSpec.of(1000, 1200, 4, 2, 24, 16).withWindow(30, 5);
        assertTrue(KernelWarmUp.ensure(window, scalar, "scalar", 1, 128, 0.05) > 0, "another mask: runs again");
    }

    /** The driver's warm-up beside Spark's start ends when Spark is up, and then leaves the JVM unmarked. */
    @Test
    void stopsWhenToldAndAStoppedWarmUpDoesNotCount() {
        AttentionSpec spec = AttentionSpec.of(1000, 1200, 2, 1, 40, 40).withCausal(true);
        java.util.function.Function<AttentionSpec, AttentionKernel> scalar = s -> KernelSelector.standard().select("scalar").create(s, 1);
        assertEquals(0, KernelWarmUp.ensure(spec, scalar, "scalar", 1, 128, 60, () -> true), "Spark already up: nothing to do");
        int[] checks = {0};
        double spent = KernelWarmUp.ensure(spec, scalar, "scalar", 1, 128, 60, () -> ++checks[0] > 3);
        assertTrue(spent > 0 && checks[0] == 4, "ran repetitions until told to stop (" + checks[0] + " checks)");
        assertTrue(KernelWarmUp.ensure(spec, scalar, "scalar", 1, 128, 0.05) > 0, "a stopped warm-up does not mark the JVM warmed");
    }
}
