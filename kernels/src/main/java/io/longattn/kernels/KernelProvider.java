package io.longattn.kernels;

/**
 * One kind of kernel (cuda, simd, scalar): whether it can run on this JVM and machine, what the
 * planner must know about it, and how to create one. {@link KernelSelector} walks an ordered list of
 * providers; adding a kernel means adding a provider to that list.
 */
public interface KernelProvider {

    /** The name a request uses: cuda, simd, scalar. */
    String name();

    /** Whether the kernel can run here and, if not, why; decided once per provider instance. */
    Availability availability();

    KernelTraits traits();

    /**
     * A kernel for spec computing each call with {@code threads} threads (the caller and threads - 1
     * of its own). Only called when {@link #availability()} is usable and, for threads > 1, when
     * {@link KernelTraits#ownThreads()}.
     */
    AttentionKernel create(AttentionSpec spec, int threads);

    /** One line on how the kernel runs here (lanes, tile, device); empty when there is nothing to say. */
    default String describe() {
        return "";
    }

    /**
     * This provider configured by the option of a request {@code name:option} (e.g. {@code simd:6x4}).
     *
     * @throws KernelSelectionException (BAD_OPTION) when the option means nothing to this provider
     */
    default KernelProvider withOption(String option) {
        throw new KernelSelectionException(KernelSelectionException.Problem.BAD_OPTION, name() + ":" + option,
                "kernel " + name() + " takes no option", java.util.List.of(name()));
    }

    /** Whether a provider is usable here, and the reason (why not, or what it found). */
    record Availability(boolean usable, String reason) {
        public static Availability usable(String found) {
            return new Availability(true, found);
        }

        public static Availability unusable(String why) {
            return new Availability(false, why);
        }
    }
}
