package io.longattn.kernels.simd;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelProvider;
import io.longattn.kernels.KernelSelectionException;
import io.longattn.kernels.KernelTraits;

import java.util.List;
import java.util.function.Supplier;

/**
 * The Vector API kernel ({@link SimdKernel}), usable when {@link JvmFacts#simdUnusableReason()} finds
 * nothing against it. Loading this class touches no jdk.incubator.vector class: the kernel's classes
 * are only loaded once the facts say the module is there.
 */
public final class SimdProvider implements KernelProvider {
    /**
     * Query rows a call should carry per thread of the kernel's own. With fewer, the guided items
     * shrink to single tiles, and each streams the whole packed kv block from shared cache for a few
     * rows. Measured on a 16-core Xeon (S = 16384, D = 64, 16 threads, one batch): 571 GFLOP/s with
     * 512-row calls, 827 with 2048.
     */
    public static final int QUERY_ROWS_PER_THREAD = 128;
    /**
     * Scratch: packed K and V of a block, each thread's packed query tiles (together at most the chunk)
     * and a score tile of at most 8 rows x 256 keys per thread (the bound over the tiles).
     */
    private static final KernelTraits TRAITS = new KernelTraits(QUERY_ROWS_PER_THREAD,
            new KernelTraits.Scratch("packed K, V, Q; score tiles", "Kc*(D+Dv)*4+Qc*Hg*D*4+T*8*256*4",
                    (qc, kc, d, dv, hg, threads) -> kc * (d + dv) * 4 + qc * hg * d * 4 + threads * 8 * 256 * 4),
            KernelTraits.Memory.HOST, true);

    private final SimdTile tile;
    private final Supplier<JvmFacts> facts;
    private volatile Availability availability;

    /** The provider for this JVM, with the given tile (AUTO: the machine's). */
    public SimdProvider(SimdTile tile) {
        this(tile, JvmFacts::current);
    }

    /** A provider that judges the JVM described by {@code facts} (tests state C2 off, no module, ...). */
    public SimdProvider(SimdTile tile, Supplier<JvmFacts> facts) {
        this.tile = tile;
        this.facts = facts;
    }

    @Override
    public String name() {
        return "simd";
    }

    /** The tile asked for (AUTO unless a request named one). */
    public SimdTile tile() {
        return tile;
    }

    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            JvmFacts f = facts.get();
            String why = f.simdUnusableReason();
            a = why == null
                    ? Availability.usable("Vector API usable, " + f.floatLanes() + " float lanes, tile "
                    + tile.resolve(f.registers32()))
                    : Availability.unusable(why);
            availability = a;
        }
        return a;
    }

    @Override
    public KernelTraits traits() {
        return TRAITS;
    }

    @Override
    public AttentionKernel create(AttentionSpec spec, int threads) {
        if (!availability().usable()) {
            throw new IllegalStateException("simd kernel created where it is not usable: " + availability().reason());
        }
        TRAITS.requirePrecision(name(), spec);
        return new SimdKernel(spec, threads, tile);
    }

    @Override
    public String describe() {
        if (!availability().usable()) return "";
        return "Vector API usable, " + SimdKernel.describe(tile.resolve(facts.get().registers32()));
    }

    /** {@code simd:4x2} or {@code simd:6x4}: a fixed register tile instead of the machine's. */
    @Override
    public KernelProvider withOption(String option) {
        SimdTile t = SimdTile.parse(option);
        if (t == null) {
            throw new KernelSelectionException(KernelSelectionException.Problem.BAD_OPTION, name() + ":" + option,
                    "'" + option + "' is not a SIMD tile", List.of("simd:auto", "simd:4x2", "simd:6x4"));
        }
        return new SimdProvider(t, facts);
    }
}
