package io.longattn.kernels;

/** Receives the summaries of a batch of units ({@link AttentionKernel#runUnits}), one unit at a time. */
@FunctionalInterface
public interface UnitSink {
    /**
     * The summary of units.get(index); valid only during this call (a kernel may reuse its buffers for
     * the next unit), so finish or copy it here.
     */
    void accept(int index, UnitSummary summary);
}
