package io.longattn.job;

/** What a finished job reports: the one-line summary and the JSON report are made from it. */
public record JobSummary(JobRequest request, double seconds, double flops, int units, long maxPartitionCost,
                         double meanPartitionCost, double[] taskSeconds) {

    public double gflops() {
        return flops / seconds / 1e9;
    }

    public String oneLine() {
        JobRequest r = request;
        return String.format("longattn: done %s | kernel %s | strategy %s | q-chunk %d kv-chunk %d | %d units on %d partitions"
                        + " | %.2f s | %.1f GFLOP/s | out %s",
                r.spec().describe(), r.kernel(), r.strategy(), r.plan().queryChunk(), r.plan().kvChunk(), units,
                r.partitions(), seconds, gflops(), r.out());
    }
}
