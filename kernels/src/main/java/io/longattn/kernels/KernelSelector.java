package io.longattn.kernels;

import io.longattn.kernels.simd.SimdProvider;
import io.longattn.kernels.simd.SimdTile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Picks a kernel from an ordered list of providers, best first (cuda, simd, scalar), and explains the
 * pick: {@code auto} takes the first usable provider and its reason names every better provider it
 * skipped and why (as spark-rapids explains a fallback to the CPU, and Lucene's VectorizationProvider
 * explains a fallback from the Vector API). A request is {@code auto}, a provider name, or
 * {@code name:option} (e.g. {@code simd:6x4}, a SIMD tile).
 *
 * <p>Tests build their own selector from given providers (e.g. one whose probe says C2 is off) to see
 * each fallback; the job uses {@link #standard()}.
 */
public final class KernelSelector {
    public static final String AUTO = "auto";
    private static volatile KernelSelector standard;
    private static volatile boolean logFallbacks = true;

    private final List<KernelProvider> providers;

    /** The kernel picked for a request, and why. */
    public record Choice(KernelProvider provider, String reason) {
        public String name() {
            return provider.name();
        }

        public KernelTraits traits() {
            return provider.traits();
        }

        /** A kernel computing each call with {@code threads} threads (1 = the caller only). */
        public AttentionKernel create(AttentionSpec spec, int threads) {
            if (threads < 1) throw new IllegalArgumentException("threads " + threads + " is invalid, expected >= 1");
            if (threads > 1 && !provider.traits().ownThreads()) {
                throw new KernelSelectionException(KernelSelectionException.Problem.NO_THREADS, provider.name(),
                        "kernel " + provider.name() + " has no threads of its own (asked for " + threads + ")",
                        List.of("threads = 1"));
            }
            return provider.create(spec, threads);
        }

        public AttentionKernel create(AttentionSpec spec) {
            return create(spec, 1);
        }
    }

    /** A selector over these providers, best first. */
    public KernelSelector(List<KernelProvider> providers) {
        if (providers.isEmpty()) throw new IllegalArgumentException("no kernel providers");
        this.providers = List.copyOf(providers);
    }

    /** This JVM's providers with the SIMD tile chosen by the machine (probed once per JVM). */
    public static KernelSelector standard() {
        KernelSelector s = standard;
        if (s == null) {
            synchronized (KernelSelector.class) {
                if (standard == null) standard = standard(SimdTile.AUTO);
                s = standard;
            }
        }
        return s;
    }

    /** The ordered list every JVM uses; a new kernel's provider goes here, in order of preference. */
    public static KernelSelector standard(SimdTile tile) {
        return new KernelSelector(List.of(cuda(), new SimdProvider(tile), new ScalarProvider()));
    }

    /**
     * The CUDA provider lives in the longattn-kernels-cuda jar (JCuda and the fatbin stay out of this
     * module); loaded by name so that a classpath without it still has a "cuda" entry that says why.
     */
    static KernelProvider cuda() {
        try {
            return (KernelProvider) Class.forName(CUDA_PROVIDER).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return new MissingProvider("cuda", "the longattn-kernels-cuda jar is not on the classpath (" + e + ")");
        }
    }

    static final String CUDA_PROVIDER = "io.longattn.kernels.cuda.CudaProvider";

    /** A provider whose classes are not here: never usable, and says why. */
    private record MissingProvider(String name, String why) implements KernelProvider {
        @Override
        public Availability availability() {
            return Availability.unusable(why);
        }

        @Override
        public KernelTraits traits() {
            return new KernelTraits(0, new KernelTraits.Scratch("none", "0", (qc, kc, d, dv, hg, t) -> 0L),
                    KernelTraits.Memory.HOST, false);
        }

        @Override
        public AttentionKernel create(AttentionSpec spec, int threads) {
            throw new KernelSelectionException(KernelSelectionException.Problem.UNAVAILABLE, name, why, List.of());
        }
    }

    public List<KernelProvider> providers() {
        return providers;
    }

    /** Every name a request may use: auto, then the providers in order. */
    public List<String> names() {
        List<String> n = new ArrayList<>();
        n.add(AUTO);
        for (KernelProvider p : providers) n.add(p.name());
        return n;
    }

    /** Names of the providers usable here, best first. */
    public List<String> available() {
        List<String> n = new ArrayList<>();
        for (KernelProvider p : providers) if (p.availability().usable()) n.add(p.name());
        return n;
    }

    /** Why each provider that cannot run here cannot, in list order. */
    public Map<String, String> unavailable() {
        Map<String, String> m = new LinkedHashMap<>();
        for (KernelProvider p : providers) if (!p.availability().usable()) m.put(p.name(), p.availability().reason());
        return m;
    }

    /**
     * Resolves a request (null = auto).
     *
     * @throws KernelSelectionException with the requested name, the reason and the usable names
     */
    public Choice select(String requested) {
        String request = requested == null ? AUTO : requested;
        int colon = request.indexOf(':');
        String name = colon < 0 ? request : request.substring(0, colon);
        if (name.equals(AUTO)) {
            if (colon >= 0) {
                throw new KernelSelectionException(KernelSelectionException.Problem.BAD_OPTION, request,
                        "auto takes no option", names());
            }
            return auto();
        }
        KernelProvider p = provider(name);
        if (p == null) {
            throw new KernelSelectionException(KernelSelectionException.Problem.UNKNOWN, request,
                    "unknown kernel '" + name + "'", names());
        }
        if (colon >= 0) p = p.withOption(request.substring(colon + 1));
        KernelProvider.Availability a = p.availability();
        if (!a.usable()) {
            throw new KernelSelectionException(KernelSelectionException.Problem.UNAVAILABLE, request,
                    "kernel " + name + " is not available on this machine (" + a.reason() + ")", available());
        }
        return new Choice(p, "requested");
    }

    /**
     * The traits of a request's provider whether or not it can run here: planning for a cluster (GPU
     * chunk sizes, say) works on a machine that lacks the kernel. auto means the pick made here.
     *
     * @throws KernelSelectionException for an unknown name or a bad option
     */
    public KernelTraits traitsOf(String requested) {
        String request = requested == null ? AUTO : requested;
        int colon = request.indexOf(':');
        String name = colon < 0 ? request : request.substring(0, colon);
        if (name.equals(AUTO)) return select(request).traits();
        KernelProvider p = provider(name);
        if (p == null) {
            throw new KernelSelectionException(KernelSelectionException.Problem.UNKNOWN, request,
                    "unknown kernel '" + name + "'", names());
        }
        return (colon >= 0 ? p.withOption(request.substring(colon + 1)) : p).traits();
    }

    /** {@code select(requested).create(spec, threads)}. */
    public AttentionKernel create(String requested, AttentionSpec spec, int threads) {
        return select(requested).create(spec, threads);
    }

    /**
     * Whether {@code auto} logs the better providers it skipped (java.util.logging, INFO; on by default). The
     * command line prints the pick and why itself and turns this off: the logging system's set-up scans every jar
     * on the class path for a logger backend, a tenth of a second or more of a small job's start.
     */
    public static void logFallbacks(boolean on) {
        logFallbacks = on;
    }

    /** Created on the first fallback logged, not with the selector. */
    private static final class Log {
        static final Logger LOG = Logger.getLogger(KernelSelector.class.getName());
    }

    private Choice auto() {
        StringBuilder skipped = new StringBuilder();
        for (KernelProvider p : providers) {
            KernelProvider.Availability a = p.availability();
            if (a.usable()) {
                String found = p.describe().isEmpty() ? a.reason() : p.describe();
                String reason = "auto: " + p.name() + " (" + found + ")" + skipped;
                if (skipped.length() > 0 && logFallbacks) Log.LOG.info("kernel " + reason);
                return new Choice(p, reason);
            }
            skipped.append("; ").append(p.name()).append(" not usable: ").append(a.reason());
        }
        throw new KernelSelectionException(KernelSelectionException.Problem.UNAVAILABLE, AUTO,
                "no kernel is usable here" + skipped, List.of());
    }

    private KernelProvider provider(String name) {
        for (KernelProvider p : providers) if (p.name().equals(name)) return p;
        return null;
    }
}
