package io.longattn.kernels;

import io.longattn.kernels.simd.SimdProvider;
import io.longattn.kernels.simd.SimdTile;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU kernels compute fp32 only and refuse the tensor-core precisions in one line. */
class PrecisionRefusalTest {

    @Test
    void cpuKernelsRefuseEveryPrecisionButFp32InOneLine() {
        AttentionSpec spec = AttentionSpec.of(8, 8, 1, 1, 8, 8);
        KernelProvider simd = new SimdProvider(SimdTile.AUTO, () -> KernelSelectorTest.GOOD);
        for (KernelProvider p : new KernelProvider[]{new ScalarProvider(), simd}) {
            assertEquals(Set.of(Precision.FP32), p.traits().precisions(), p.name());
            try (AttentionKernel k = p.create(spec, 1)) {
                assertEquals(p.name(), k.name());
            }
            for (Precision x : EnumSet.of(Precision.TF32, Precision.FP16, Precision.BF16)) {
                KernelSelectionException e = assertThrows(KernelSelectionException.class, () -> p.create(spec.withPrecision(x), 1));
                assertEquals(KernelSelectionException.Problem.UNAVAILABLE, e.problem());
                assertEquals("--precision " + x.id() + " is not computed by kernel " + p.name() + " (it computes fp32);"
                        + " tf32, fp16 and bf16 run on kernel cuda", e.reason());
                assertFalse(e.getMessage().contains("\n"));
            }
        }
    }

    @Test
    void theSpecCarriesItsPrecisionThroughEveryCopy() {
        AttentionSpec bf16 = AttentionSpec.of(8, 9, 2, 1, 16, 8).withPrecision(Precision.BF16);
        assertEquals(Precision.FP32, AttentionSpec.of(8, 9, 2, 1, 16, 8).precision());
        assertEquals(Precision.BF16, bf16.withCausal(true).withWindow(3, -1).withScale(0.5).withSoftcap(2).precision());
        assertTrue(bf16.describe().endsWith(" bf16"), bf16.describe());
        assertThrows(IllegalArgumentException.class, () -> bf16.withPrecision(null));
    }

    @Test
    void traitsMustComputeFp32() {
        KernelTraits.Scratch none = new KernelTraits.Scratch("none", "0", (a, b, c, d, e, f) -> 0);
        assertThrows(IllegalArgumentException.class,
                () -> new KernelTraits(0, none, KernelTraits.Memory.HOST, false, EnumSet.of(Precision.BF16)));
        assertEquals(EnumSet.allOf(Precision.class),
                new KernelTraits(0, none, KernelTraits.Memory.DEVICE, false, EnumSet.allOf(Precision.class)).precisions());
    }
}
