package io.longattn.kernels;

import java.util.List;

/**
 * A kernel request that cannot be served. The fields say what was asked, why it failed and what can
 * run here, so callers build their own message without parsing this one.
 */
public final class KernelSelectionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public enum Problem {
        /** No provider has this name. */
        UNKNOWN,
        /** The provider exists but cannot run here (reason says why). */
        UNAVAILABLE,
        /** The provider does not understand the option after ':'. */
        BAD_OPTION,
        /** threads > 1 for a kernel without threads of its own. */
        NO_THREADS
    }

    private final Problem problem;
    private final String requested;
    private final String reason;
    private final List<String> available;

    public KernelSelectionException(Problem problem, String requested, String reason, List<String> available) {
        super("kernel " + requested + ": " + reason + ", expected one of " + available);
        this.problem = problem;
        this.requested = requested;
        this.reason = reason;
        this.available = List.copyOf(available);
    }

    public Problem problem() {
        return problem;
    }

    /** The request as given, e.g. "simd" or "simd:6x4". */
    public String requested() {
        return requested;
    }

    /** Why it cannot be served, without the list of alternatives. */
    public String reason() {
        return reason;
    }

    /** What would be accepted here instead (names usable on this machine, or options). */
    public List<String> available() {
        return available;
    }
}
