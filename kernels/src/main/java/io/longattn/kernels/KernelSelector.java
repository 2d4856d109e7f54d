package io.longattn.kernels;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Decides once per JVM which kernels can run here, and explains why the better one could not
 * (as Lucene's VectorizationProvider does). The SIMD kernel is loaded reflectively so that a JVM
 * without the jdk.incubator.vector module never touches a class that links against it.
 */
public final class KernelSelector {
    private static final Logger LOG = Logger.getLogger(KernelSelector.class.getName());
    private static final String SIMD_CLASS = "io.longattn.kernels.SimdKernel";

    /** The kernel picked for a request, and why. */
    public record Choice(String name, String reason, Function<AttentionSpec, AttentionKernel> factory) {
        public AttentionKernel create(AttentionSpec spec) {
            return factory.apply(spec);
        }
    }

    private static volatile String simdUnavailable;
    private static volatile Constructor<?> simdCtor;
    private static volatile Constructor<?> simdThreadsCtor;
    private static volatile boolean probed;

    private KernelSelector() {
    }

    /** Names accepted by {@link #select}. */
    public static List<String> names() {
        return List.of("auto", "simd", "scalar");
    }

    /** Kernels usable on this JVM, best first. */
    public static List<String> available() {
        probe();
        List<String> names = new ArrayList<>();
        if (simdUnavailable == null) names.add("simd");
        names.add("scalar");
        return names;
    }

    /** Why SIMD cannot run here, or null when it can. */
    public static String simdUnavailableReason() {
        probe();
        return simdUnavailable;
    }

    /**
     * Picks a kernel: auto = simd when the Vector API is usable, else scalar. An explicit name that
     * cannot run here is an IllegalArgumentException naming what is available.
     */
    public static Choice select(String requested) {
        probe();
        String name = requested == null ? "auto" : requested;
        switch (name) {
            case "scalar":
                return new Choice("scalar", "requested", ScalarKernel::new);
            case "simd":
                if (simdUnavailable != null) {
                    throw new IllegalArgumentException("kernel simd is not available on this machine ("
                            + simdUnavailable + "), expected one of " + available());
                }
                return new Choice("simd", "requested", KernelSelector::newSimd);
            case "auto":
                if (simdUnavailable == null) {
                    return new Choice("simd", "auto: Vector API usable, " + simdDescription(), KernelSelector::newSimd);
                }
                LOG.info("SIMD kernel not usable: " + simdUnavailable + "; using scalar");
                return new Choice("scalar", "auto: SIMD not usable (" + simdUnavailable + ")", ScalarKernel::new);
            default:
                throw new IllegalArgumentException("unknown kernel '" + name + "', expected one of " + names()
                        + " (available here: " + available() + ")");
        }
    }

    /**
     * Creates kernel {@code name} (as {@link #select}) that uses {@code threads} threads of its own:
     * simd splits each call between the caller and threads - 1 workers it owns (close it to stop them);
     * scalar has no threads of its own and is refused with threads > 1.
     */
    public static AttentionKernel create(String name, AttentionSpec spec, int threads) {
        Choice c = select(name);
        if (threads == 1) return c.create(spec);
        if (!c.name().equals("simd")) {
            throw new IllegalArgumentException("kernel " + c.name() + " has no threads of its own (asked for "
                    + threads + "), expected threads = 1 or kernel simd");
        }
        try {
            return (AttentionKernel) simdThreadsCtor.newInstance(spec, threads);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            throw new IllegalStateException(cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create SIMD kernel", e);
        }
    }

    private static String simdDescription() {
        try {
            Class<?> c = Class.forName(SIMD_CLASS);
            return (String) c.getMethod("describe").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return "";
        }
    }

    private static AttentionKernel newSimd(AttentionSpec spec) {
        try {
            return (AttentionKernel) simdCtor.newInstance(spec);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) throw re;
            throw new IllegalStateException(c);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create SIMD kernel", e);
        }
    }

    private static synchronized void probe() {
        if (probed) return;
        probed = true;
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            simdUnavailable = "module jdk.incubator.vector is not in the JVM; add --add-modules=jdk.incubator.vector";
            return;
        }
        try {
            Class<?> c = Class.forName(SIMD_CLASS);
            String reason = (String) c.getMethod("unavailableReason").invoke(null);
            if (reason != null) {
                simdUnavailable = reason;
                return;
            }
            simdCtor = c.getConstructor(AttentionSpec.class);
            simdThreadsCtor = c.getConstructor(AttentionSpec.class, int.class);
        } catch (ReflectiveOperationException | LinkageError e) {
            simdUnavailable = "cannot load the SIMD kernel: " + e;
        }
    }
}
