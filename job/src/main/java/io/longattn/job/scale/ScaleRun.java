package io.longattn.job.scale;

/**
 * One job run of an experiment, as its driver reported it.
 *
 * @param executors   executors of the point (each of the request's cores)
 * @param rep         1-based repetition
 * @param wallSeconds the job's wall (report wall_seconds: plan to committed output, executors already up)
 * @param taskSeconds the compute tasks' durations
 * @param flops       2 x unmasked pairs x Hq x (D + Dv)
 * @param slotSeconds what each task slot ran in all (guided jobs run more tasks than slots)
 */
record ScaleRun(int executors, ScaleRequest.Shape shape, int rep, String kernel, int partitions, double wallSeconds,
                double[] taskSeconds, double gflops, double flops, String outputSha256, double[] slotSeconds) {

    /** A run whose tasks were its slots (one task per slot). */
    ScaleRun(int executors, ScaleRequest.Shape shape, int rep, String kernel, int partitions, double wallSeconds,
             double[] taskSeconds, double gflops, double flops, String outputSha256) {
        this(executors, shape, rep, kernel, partitions, wallSeconds, taskSeconds, gflops, flops, outputSha256, taskSeconds);
    }

    /** Summed task time: the compute the point did, on whatever slot. */
    double computeSeconds() {
        double sum = 0;
        for (double t : taskSeconds) sum += t;
        return sum;
    }

    /** The busiest slot over the mean slot: how evenly the point's compute ended. */
    double maxOverMean() {
        if (slotSeconds.length == 0) return Double.NaN;
        double max = 0, sum = 0;
        for (double t : slotSeconds) {
            max = Math.max(max, t);
            sum += t;
        }
        return max / (sum / slotSeconds.length);
    }
}
