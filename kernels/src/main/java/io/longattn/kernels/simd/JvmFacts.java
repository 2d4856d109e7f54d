package io.longattn.kernels.simd;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;

import java.lang.management.ManagementFactory;

/**
 * What the SIMD provider needs to know about this JVM before it trusts the Vector API (the checks of
 * Lucene's VectorizationProvider): the incubator module is present, the VM is HotSpot with C2 on (the
 * Vector API is intrinsified by C2 only: with C1 or the interpreter every vector op allocates and runs
 * orders of magnitude slower), and the preferred float vector is wide enough to be worth it. A record,
 * so tests can state any JVM and check the provider's answer.
 *
 * @param vectorModule      jdk.incubator.vector is in the boot layer
 * @param hotSpot           HotSpot's diagnostic bean answers (its flags below are then real)
 * @param vmName            java.vm.name
 * @param vmInfo            java.vm.info ("mixed mode", "interpreted mode", "emulated-client" when C1 only)
 * @param useCompiler       -XX:+UseCompiler (false with -Xint)
 * @param tieredStopAtLevel -XX:TieredStopAtLevel (4 = C2; 1-3 = C1 only while tiered compilation is on)
 * @param tieredCompilation -XX:+TieredCompilation
 * @param floatLanes        lanes of the preferred float vector (0 when the module is missing)
 * @param registers32       32 vector registers (AVX-512: UseAVX >= 3 or 512-bit vectors)
 */
public record JvmFacts(boolean vectorModule, boolean hotSpot, String vmName, String vmInfo, boolean useCompiler,
                       int tieredStopAtLevel, boolean tieredCompilation, int floatLanes, boolean registers32) {

    private static volatile JvmFacts current;

    /** This JVM's facts, read once. */
    public static JvmFacts current() {
        JvmFacts f = current;
        if (f == null) current = f = read();
        return f;
    }

    /**
     * Null when the Vector API can be trusted here, else why not, in words a user can act on.
     */
    public String simdUnusableReason() {
        if (!vectorModule) {
            return "module jdk.incubator.vector is not in the JVM; add --add-modules=jdk.incubator.vector";
        }
        if (!hotSpot) {
            return "not a HotSpot JVM (" + vmName + "): the Vector API is only known to be intrinsified by HotSpot's C2";
        }
        if (!useCompiler || vmInfo.contains("interpreted")) {
            return "the JIT compiler is off (-Xint): vector code would run interpreted";
        }
        if ((tieredCompilation && tieredStopAtLevel < 4) || vmInfo.contains("emulated-client")) {
            return "C2 is off (-XX:TieredStopAtLevel=" + tieredStopAtLevel + "): the Vector API needs C2 to be intrinsified";
        }
        if (floatLanes < 4) {
            return "preferred float vector has " + floatLanes + " lanes, expected at least 4";
        }
        return null;
    }

    private static JvmFacts read() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        String name = System.getProperty("java.vm.name", "");
        String info = System.getProperty("java.vm.info", "");
        boolean hotSpot = false, useCompiler = true, tiered = true;
        int stopAt = 4, avx = -1;
        try {
            HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (bean != null) {
                useCompiler = Boolean.parseBoolean(option(bean, "UseCompiler", "true"));
                tiered = Boolean.parseBoolean(option(bean, "TieredCompilation", "true"));
                stopAt = Integer.parseInt(option(bean, "TieredStopAtLevel", "4"));
                avx = Integer.parseInt(option(bean, "UseAVX", "-1"));
                hotSpot = true;
            }
        } catch (RuntimeException | LinkageError e) {
            hotSpot = false;
        }
        int lanes = 0, bits = 0;
        if (module) {
            try {
                lanes = VectorShape.floatLanes();
                bits = VectorShape.floatBits();
            } catch (LinkageError e) {
                module = false;
            }
        }
        return new JvmFacts(module, hotSpot, name, info, useCompiler, stopAt, tiered, lanes, bits >= 512 || avx >= 3);
    }

    private static String option(HotSpotDiagnosticMXBean bean, String name, String absent) {
        try {
            VMOption o = bean.getVMOption(name);
            return o.getValue();
        } catch (IllegalArgumentException e) { // not a flag of this VM (UseAVX off x86)
            return absent;
        }
    }
}
