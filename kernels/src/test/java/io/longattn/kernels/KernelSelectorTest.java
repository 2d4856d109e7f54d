package io.longattn.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelSelectorTest {

    @Test
    void autoPicksSimdUnderTheBuildFlags() {
        // surefire runs with --add-modules=jdk.incubator.vector (root pom's longattn.jvm.flags)
        assertNull(KernelSelector.simdUnavailableReason());
        KernelSelector.Choice c = KernelSelector.select("auto");
        assertEquals("simd", c.name());
        assertTrue(c.reason().contains("Vector API"), c.reason());
        AttentionSpec spec = AttentionSpec.of(4, 4, 1, 1, 8, 8);
        try (AttentionKernel k = c.create(spec)) {
            assertEquals("simd", k.name());
            assertTrue(k instanceof SimdKernel);
        }
        assertEquals(KernelSelector.select(null).name(), "simd");
        assertEquals(java.util.List.of("simd", "scalar"), KernelSelector.available());
        assertEquals("scalar", KernelSelector.select("scalar").create(spec).name());
    }

    @Test
    void unknownNameListsTheNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelSelector.select("fast"));
        assertTrue(e.getMessage().contains("'fast'"), e.getMessage());
        for (String n : KernelSelector.names()) assertTrue(e.getMessage().contains(n), e.getMessage());
    }
}
