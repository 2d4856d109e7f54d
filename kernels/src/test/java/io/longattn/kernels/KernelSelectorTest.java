package io.longattn.kernels;

import io.longattn.kernels.simd.JvmFacts;
import io.longattn.kernels.simd.SimdProvider;
import io.longattn.kernels.simd.SimdTile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provider list: auto's pick and its reasons, each provider forced unavailable, typed errors. */
class KernelSelectorTest {
    static final AttentionSpec SPEC = AttentionSpec.of(8, 8, 1, 1, 8, 8);

    /** This JVM's facts with one thing changed. */
    static JvmFacts facts(boolean module, boolean hotSpot, String info, boolean useCompiler, int stopAt, int lanes) {
        return new JvmFacts(module, hotSpot, "OpenJDK 64-Bit Server VM", info, useCompiler, stopAt, true, lanes, false);
    }

    static final JvmFacts GOOD = facts(true, true, "mixed mode, sharing", true, 4, 8);

    /** A provider that is never usable here, as a cuda provider on a machine without a GPU. */
    record Unusable(String name, String why) implements KernelProvider {
        @Override
        public Availability availability() {
            return Availability.unusable(why);
        }

        @Override
        public KernelTraits traits() {
            return new KernelTraits(4096, new KernelTraits.Scratch("device buffers", "0", (a, b, c, d, e, f) -> 0),
                    KernelTraits.Memory.DEVICE, false);
        }

        @Override
        public AttentionKernel create(AttentionSpec spec, int threads) {
            throw new AssertionError("created an unusable kernel");
        }
    }

    static KernelSelector selector(JvmFacts simdFacts) {
        return new KernelSelector(List.of(new Unusable("cuda", "no CUDA driver"),
                new SimdProvider(SimdTile.AUTO, () -> simdFacts), new ScalarProvider()));
    }

    @Test
    void autoPicksSimdUnderTheBuildFlags() {
        // surefire runs with --add-modules=jdk.incubator.vector (root pom's longattn.jvm.flags) on HotSpot with C2
        KernelSelector s = KernelSelector.standard();
        assertEquals(List.of("simd", "scalar"), s.available());
        assertEquals(List.of("auto", "cuda", "simd", "scalar"), s.names());
        // this module's tests run without the kernels-cuda jar: the cuda entry says so
        assertTrue(s.unavailable().get("cuda").startsWith("the longattn-kernels-cuda jar is not on the classpath"),
                s.unavailable().toString());
        KernelSelector.Choice c = s.select(null);
        assertEquals("simd", c.name());
        assertTrue(c.reason().startsWith("auto: simd (Vector API usable"), c.reason());
        try (AttentionKernel k = c.create(SPEC)) {
            assertEquals("simd", k.name());
        }
        assertEquals("requested", s.select("scalar").reason());
        assertEquals("scalar", s.select("scalar").create(SPEC).name());
    }

    @Test
    void autoSaysWhyEachBetterProviderWasSkipped() {
        KernelSelector s = selector(GOOD);
        KernelSelector.Choice c = s.select("auto");
        assertEquals("simd", c.name());
        assertTrue(c.reason().contains("; cuda not usable: no CUDA driver"), c.reason());
        assertEquals(List.of("simd", "scalar"), s.available());
        assertEquals(List.of("auto", "cuda", "simd", "scalar"), s.names());
        assertEquals("no CUDA driver", s.unavailable().get("cuda"));
    }

    @Test
    void eachReasonTheSimdProviderCanGiveFallsBackToScalar() {
        String[][] cases = {
                // facts, expected words in the reason
                {"module", "--add-modules=jdk.incubator.vector"},
                {"openj9", "not a HotSpot JVM"},
                {"xint", "-Xint"},
                {"c1", "C2 is off (-XX:TieredStopAtLevel=1)"},
                {"lanes", "2 lanes, expected at least 4"},
        };
        for (String[] k : cases) {
            JvmFacts f = switch (k[0]) {
                case "module" -> facts(false, true, "mixed mode", true, 4, 0);
                case "openj9" -> facts(true, false, "mixed mode", true, 4, 8);
                case "xint" -> facts(true, true, "interpreted mode", false, 4, 8);
                case "c1" -> facts(true, true, "mixed mode, emulated-client", true, 1, 8);
                default -> facts(true, true, "mixed mode", true, 4, 2);
            };
            KernelSelector s = selector(f);
            KernelSelector.Choice c = s.select(null);
            assertEquals("scalar", c.name(), k[0]);
            assertTrue(c.reason().contains("cuda not usable: no CUDA driver"), c.reason());
            assertTrue(c.reason().contains("simd not usable: ") && c.reason().contains(k[1]), c.reason());
            assertEquals(List.of("scalar"), s.available());
            KernelSelectionException e = assertThrows(KernelSelectionException.class, () -> s.select("simd"));
            assertEquals(KernelSelectionException.Problem.UNAVAILABLE, e.problem());
            assertEquals("simd", e.requested());
            assertTrue(e.reason().contains(k[1]), e.reason());
            assertEquals(List.of("scalar"), e.available());
        }
    }

    @Test
    void nothingUsableIsATypedError() {
        KernelSelector s = new KernelSelector(List.of(new Unusable("cuda", "no GPU"), new Unusable("simd", "C2 is off")));
        KernelSelectionException e = assertThrows(KernelSelectionException.class, () -> s.select(null));
        assertEquals(KernelSelectionException.Problem.UNAVAILABLE, e.problem());
        assertTrue(e.reason().contains("cuda not usable: no GPU") && e.reason().contains("simd not usable: C2 is off"), e.reason());
        assertEquals(List.of(), e.available());
    }

    @Test
    void unknownNamesAndOptionsAreTypedErrors() {
        KernelSelector s = selector(GOOD);
        KernelSelectionException e = assertThrows(KernelSelectionException.class, () -> s.select("fast"));
        assertEquals(KernelSelectionException.Problem.UNKNOWN, e.problem());
        assertEquals("fast", e.requested());
        assertEquals(s.names(), e.available());
        e = assertThrows(KernelSelectionException.class, () -> s.select("simd:5x5"));
        assertEquals(KernelSelectionException.Problem.BAD_OPTION, e.problem());
        assertTrue(e.available().contains("simd:6x4"), e.available().toString());
        assertEquals(KernelSelectionException.Problem.BAD_OPTION,
                assertThrows(KernelSelectionException.class, () -> s.select("scalar:fast")).problem());
        assertEquals(KernelSelectionException.Problem.BAD_OPTION,
                assertThrows(KernelSelectionException.class, () -> s.select("auto:6x4")).problem());
    }

    @Test
    void aTileOptionReachesTheSimdProvider() {
        KernelSelector.Choice c = KernelSelector.standard().select("simd:4x2");
        assertEquals("simd", c.name());
        assertEquals(SimdTile.T4x2, ((SimdProvider) c.provider()).tile());
        assertEquals(SimdTile.T6x4, ((SimdProvider) KernelSelector.standard().select("simd:6x4").provider()).tile());
    }

    @Test
    void threadsNeedAKernelWithThreadsOfItsOwn() {
        KernelSelectionException e = assertThrows(KernelSelectionException.class,
                () -> KernelSelector.standard().select("scalar").create(SPEC, 3));
        assertEquals(KernelSelectionException.Problem.NO_THREADS, e.problem());
        assertTrue(e.reason().contains("asked for 3"), e.reason());
    }

    /** A real JVM with C1 only, and one without the module: the standard list must fall back and say why. */
    @Test
    void aJvmWithoutC2OrWithoutTheModuleFallsBackToScalar() throws Exception {
        String c1 = probe("-XX:TieredStopAtLevel=1", "--add-modules=jdk.incubator.vector");
        assertTrue(c1.startsWith("scalar|auto: scalar"), c1);
        assertTrue(c1.contains("simd not usable: C2 is off (-XX:TieredStopAtLevel=1)"), c1);
        String noModule = probe();
        assertTrue(noModule.startsWith("scalar|"), noModule);
        assertTrue(noModule.contains("module jdk.incubator.vector is not in the JVM"), noModule);
    }

    private static String probe(String... flags) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("-Xshare:auto"));
        all.addAll(List.of(flags));
        return ChildJvm.run(all, SelectorProbeMain.class).trim().lines().reduce((a, b) -> b).orElse("");
    }
}
