package io.longattn.job.scale;

import io.longattn.job.JobRequest;
import io.longattn.job.UserError;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One scaling experiment: the problem at one executor, the executor counts, and how each point's job is
 * run (settings and Spark configuration passed to every point, the master or null for a local standalone
 * cluster).
 *
 * @param executors  executor counts, ascending and distinct
 * @param conf       settings and Spark configuration for every point, by key
 * @param runFlags   further flags of `longattn run` for every point (--scale, --softcap, --verbose)
 * @param probe      whether to measure the machine's ceiling before the points (false: --no-probe)
 * @param master     a cluster master, or null to start a standalone cluster on this machine
 */
public record ScaleRequest(ScaleMode mode, List<Integer> executors, int coresPerExecutor, Shape shape,
                           JobRequest.Attention attention, int reps, String master, Path out, Map<String, String> conf,
                           List<String> runFlags, boolean probe) {

    /** The problem's shape at one executor. */
    public record Shape(int seq, int kvSeq, int heads, int kvHeads, int dim, int vDim) {
    }

    /** Keys the experiment sets per point: a user value would change the executor count under it. */
    static final Set<String> PER_POINT_KEYS = Set.of("spark.executor.instances", "spark.executor.cores", "spark.cores.max",
            "spark.dynamicAllocation.enabled", "spark.master", "spark.extraListeners");

    public ScaleRequest {
        executors = List.copyOf(executors);
        conf = Collections.unmodifiableMap(new LinkedHashMap<>(conf));
        runFlags = List.copyOf(runFlags);
        if (coresPerExecutor < 1) {
            throw new UserError("--cores-per-executor", coresPerExecutor + " is not positive", "an integer >= 1");
        }
        if (reps < 1) throw new UserError("--reps", reps + " is not positive", "an integer >= 1");
        for (String key : conf.keySet()) {
            if (PER_POINT_KEYS.contains(key)) {
                throw new UserError("--conf", key + " is set per point by scale", "--executors, --cores-per-executor and --master instead");
            }
        }
        if (master != null && (master.startsWith("local"))) {
            throw new UserError("--master", master + " runs no executors of its own",
                    "a cluster master (spark://HOST:PORT, yarn, k8s://...), or none to start a standalone cluster here");
        }
    }

    /** The executor counts of --executors: a comma-separated list of positive integers, sorted, repeats dropped. */
    public static List<Integer> parseExecutors(String text) {
        TreeSet<Integer> counts = new TreeSet<>();
        for (String part : text.split(",", -1)) {
            int n;
            try {
                n = Integer.parseInt(part.trim());
            } catch (NumberFormatException e) {
                throw new UserError("--executors", "'" + text + "' is not a list of executor counts", "positive integers such as 1,2,4,8,16");
            }
            if (n < 1) throw new UserError("--executors", n + " is not a positive executor count", "positive integers such as 1,2,4,8,16");
            counts.add(n);
        }
        return new ArrayList<>(counts);
    }

    /** Whether a row sees a bounded number of keys (work linear in the length). */
    public boolean boundedWindow() {
        return attention.windowLeft() >= 0 && (attention.causal() || attention.windowRight() >= 0);
    }

    /** The problem at N executors. */
    public Shape shapeAt(int n) {
        return new Shape(mode.length(shape.seq(), n, boundedWindow()), mode.length(shape.kvSeq(), n, boundedWindow()),
                shape.heads(), shape.kvHeads(), shape.dim(), shape.vDim());
    }

    /** Task slots of one point: executors x cores over spark.task.cpus. */
    public int slots(int n) {
        int taskCpus = Integer.parseInt(conf.getOrDefault("spark.task.cpus", "1").trim());
        return Math.max(1, n * coresPerExecutor / Math.max(1, taskCpus));
    }

    /** The window as results.csv writes it: none, or LEFT,RIGHT as --window takes it (causal: RIGHT 0). */
    public String windowText() {
        if (attention.windowLeft() < 0 && (attention.causal() || attention.windowRight() < 0)) return "none";
        return attention.windowLeft() + "," + (attention.causal() ? 0 : attention.windowRight());
    }
}
