package io.longattn.job.scale;

/**
 * One job run of an experiment, as its driver reported it.
 *
 * @param executors   executors of the point (each of the request's cores)
 * @param rep         1-based repetition
 * @param wallSeconds the job's wall (report wall_seconds: plan to committed output, executors already up)
 * @param taskSeconds the compute tasks' durations
 * @param flops       2 x unmasked pairs x Hq x (D + Dv)
 */
record ScaleRun(int executors, ScaleRequest.Shape shape, int rep, String kernel, int partitions, double wallSeconds,
                double[] taskSeconds, double gflops, double flops, String outputSha256) {

    /** Summed task time: the compute the point did, on whatever slot. */
    double computeSeconds() {
        double sum = 0;
        for (double t : taskSeconds) sum += t;
        return sum;
    }

    double maxOverMean() {
        if (taskSeconds.length == 0) return Double.NaN;
        double max = 0;
        for (double t : taskSeconds) max = Math.max(max, t);
        return max / (computeSeconds() / taskSeconds.length);
    }
}
