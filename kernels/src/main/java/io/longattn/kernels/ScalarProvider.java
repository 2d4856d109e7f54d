package io.longattn.kernels;

/** The float32 plain-loop kernel: runs on any JVM, the last entry of every provider list. */
public final class ScalarProvider implements KernelProvider {
    private static final KernelTraits TRAITS = new KernelTraits(0,
            new KernelTraits.Scratch("scores of one row", "Kc*4", (qc, kc, d, dv, hg, threads) -> kc * 4),
            KernelTraits.Memory.HOST, false);

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public Availability availability() {
        return Availability.usable("plain float32 loops run on any JVM");
    }

    @Override
    public KernelTraits traits() {
        return TRAITS;
    }

    @Override
    public AttentionKernel create(AttentionSpec spec, int threads) {
        TRAITS.requirePrecision(name(), spec);
        return new ScalarKernel(spec);
    }
}
