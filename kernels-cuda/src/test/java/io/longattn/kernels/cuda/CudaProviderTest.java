package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelProvider;
import io.longattn.kernels.KernelSelectionException;
import io.longattn.kernels.KernelSelector;
import io.longattn.kernels.KernelTraits;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cuda provider in the selector's list: first, with its reason, falling back when no GPU is usable. */
class CudaProviderTest {
    static final CudaProbe NO_DRIVER = CudaProbe.unavailable("the NVIDIA driver library did not load (libcuda.so.1)");
    static final CudaProbe ONE_GPU = new CudaProbe(null, 1, "Test GPU", 9, 0, 132, 141L << 30);

    @Test
    void theStandardListPutsTheRealCudaProviderFirst() {
        KernelSelector s = KernelSelector.standard();
        assertEquals("cuda", s.providers().get(0).name());
        assertInstanceOf(CudaProvider.class, s.providers().get(0));
        CudaProbe here = CudaProbe.get();
        if (!here.usable()) {
            assertEquals(here.unavailableReason(), s.unavailable().get("cuda"));
            KernelSelector.Choice c = s.select("auto");
            assertTrue(c.reason().contains("; cuda not usable: " + here.unavailableReason()), c.reason());
            KernelSelectionException e = assertThrows(KernelSelectionException.class, () -> s.select("cuda"));
            assertTrue(e.getMessage().contains(here.unavailableReason()), e.getMessage());
        } else {
            assertEquals("cuda", s.select("auto").name());
        }
    }

    @Test
    void withoutADriverAutoFallsBackAndSaysWhy() {
        KernelSelector s = new KernelSelector(java.util.List.of(new CudaProvider(0, NO_DRIVER),
                new io.longattn.kernels.ScalarProvider()));
        KernelSelector.Choice c = s.select("auto");
        assertEquals("scalar", c.name());
        assertTrue(c.reason().contains("cuda not usable: the NVIDIA driver library did not load"), c.reason());
    }

    @Test
    void aGpuNumberPicksTheDeviceAndIsChecked() {
        KernelProvider p = new CudaProvider(0, ONE_GPU);
        assertTrue(p.availability().usable());
        assertTrue(p.availability().reason().startsWith("GPU 0: Test GPU (compute 9.0, 132 SMs"), p.availability().reason());
        KernelProvider second = p.withOption("1");
        assertFalse(second.availability().usable());
        assertEquals("GPU 1 asked for, 1 visible", second.availability().reason());
        assertThrows(KernelSelectionException.class, () -> p.withOption("x"));
        assertThrows(KernelSelectionException.class, () -> p.withOption("-1"));
    }

    @Test
    void traitsTellThePlanToFillTheDevice() {
        KernelTraits t = new CudaProvider(0, ONE_GPU).traits();
        assertEquals(KernelTraits.Memory.DEVICE, t.memory());
        assertFalse(t.ownThreads());
        assertEquals(CudaProvider.ROWS_PER_CALL, t.queryRowsPerThread());
        assertEquals(0, t.scratchBytes(AttentionSpec.of(1000, 1000, 1, 1, 64, 64), 512, 512, 1));
    }
}
