package io.longattn.job.scale;

import io.longattn.job.UserError;

import java.util.Locale;

/**
 * Strong scaling keeps the problem fixed; weak scaling keeps the work per executor fixed. Attention work
 * grows with Sq x Sk for full or causal attention, so both lengths grow with sqrt(N); under a window bounded
 * on both sides a row sees a fixed number of keys, so the lengths grow with N.
 */
public enum ScaleMode {
    STRONG, WEAK;

    public static ScaleMode parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "strong" -> STRONG;
            case "weak" -> WEAK;
            default -> throw new UserError("--mode", "'" + text + "' is not a scaling mode", "strong or weak");
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The sequence length at {@code executors} executors for one given at one executor: the same in
     * strong mode; in weak mode grown by sqrt(N) (or N under a bounded window) and rounded to
     * {@link #granule} tokens, so that the query and kv chunks the plan picks stay whole.
     */
    public int length(int atOne, int executors, boolean boundedWindow) {
        if (this == STRONG || executors == 1) return atOne;
        double grown = atOne * (boundedWindow ? executors : Math.sqrt(executors));
        long g = granule(atOne);
        long rounded = Math.max(g, Math.round(grown / g) * g);
        if (rounded > Integer.MAX_VALUE) {
            throw new UserError("--seq", atOne + " tokens grow to " + rounded + " at " + executors + " executors in weak mode",
                    "a length whose weak-scaled size fits in 2^31 tokens");
        }
        return (int) rounded;
    }

    /**
     * Rounding step of weak-scaled lengths: the power of two nearest 1/64 of the one-executor length,
     * between 16 (the smallest query chunk) and 256 (the default one). The work then differs from N times the
     * one-executor work by well under 1% for lengths of 4,096 tokens and more; efficiency corrects for it.
     */
    static long granule(int atOne) {
        long g = Long.highestOneBit(Math.max(1, atOne / 64));
        return Math.max(16, Math.min(256, g));
    }
}
