package io.longattn.job.plan;

import io.longattn.job.UserError;
import io.longattn.job.settings.Settings;
import io.longattn.kernels.KernelSelector;
import io.longattn.kernels.KernelTraits;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How many partitions a job plans for, and why (the start line says both). A cluster job plans for the
 * task slots it will have: the configured total where the configuration fixes it, otherwise the
 * executors that registered, waited for the way Spark's own scheduler waits
 * (spark.scheduler.minRegisteredResourcesRatio and maxRegisteredResourcesWaitingTime). Spark's default
 * parallelism read right after the context starts counts no executor yet and says 2. A local master
 * running a device kernel plans one partition per GPU instead of one per thread.
 */
public record PartitionCount(int partitions, String reason) {
    /** With no executor count to wait for, registration is over when none joined for this long. */
    public static final double SETTLE_SECONDS = 2.0;

    private static final Pattern LOCAL = Pattern.compile("local\\[(\\*|\\d+)(,\\d+)?]");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");

    public PartitionCount {
        if (partitions < 1) throw new IllegalArgumentException("partitions " + partitions + " < 1");
    }

    /**
     * The count when it is known without a SparkContext: the setting, spark.default.parallelism, a local
     * master's GPU for a device kernel or its threads otherwise, or a cluster's configured total; null when
     * only registered executors can tell.
     */
    public static PartitionCount beforeSpark(Map<String, String> conf, String master, JobPlanner.KernelPick kernel) {
        int given = Settings.PARTITIONS.get(conf);
        if (given > 0) return new PartitionCount(given, "--partitions");
        String dp = conf.get("spark.default.parallelism");
        if (dp != null) {
            return new PartitionCount(Math.max(1, positive(conf, "spark.default.parallelism", 1)), "spark.default.parallelism");
        }
        String m = master(conf, master);
        if (isLocal(m)) {
            PartitionCount gpu = perGpu(m, kernel);
            return gpu != null ? gpu : new PartitionCount(localThreads(m), m + " threads");
        }
        Expected e = expected(conf, m);
        if (e.cores() > 0) {
            return new PartitionCount(slots(conf, e.cores()), e.executors() > 0
                    ? executorsAndCores(e.executors(), e.cores()) + " from " + e.source() : e.cores() + " cores from " + e.source());
        }
        return null;
    }

    /**
     * One partition per GPU when a local master runs a device kernel, else null. Local tasks get no GPU
     * of their own, so all of them run on the kernel's one GPU (GPU 0, or N for cuda:N). One task keeps it
     * busy: a unit is one launch of hundreds of blocks (32,768 query rows in 64- or 128-row tiles, about
     * two blocks per SM of a 132-SM GPU). More tasks would only queue their launches on it, each stalls
     * the others at its synchronous copies, and each task's kernel seconds would count the others' work.
     * --partitions still gives more where measurements say overlapping host work pays.
     */
    public static PartitionCount perGpu(String master, JobPlanner.KernelPick kernel) {
        if (kernel == null || !isLocal(master)) return null;
        KernelTraits traits = KernelSelector.standard().traitsOf(kernel.request());
        if (traits.memory() != KernelTraits.Memory.DEVICE) return null;
        int colon = kernel.request().indexOf(':');
        String gpu = "GPU " + (colon < 0 ? "0" : kernel.request().substring(colon + 1));
        return new PartitionCount(1, "one per GPU: kernel " + kernel.request() + " on " + master + " runs every task on " + gpu);
    }

    /**
     * What the configuration says a cluster master will give: executors and total cores, 0 where it does
     * not say (a standalone executor takes every free core of its worker unless spark.executor.cores is set).
     */
    public record Expected(int executors, int cores, String source) {
    }

    public static Expected expected(Map<String, String> conf, String master) {
        String m = master(conf, master);
        Matcher lc = LOCAL_CLUSTER.matcher(m);
        if (lc.matches()) {
            int n = Integer.parseInt(lc.group(1)), c = Integer.parseInt(lc.group(2));
            return new Expected(n, n * c, "the master " + m);
        }
        int perExecutor = executorCores(conf, m);
        if (Boolean.parseBoolean(conf.getOrDefault("spark.dynamicAllocation.enabled", "false").trim())) {
            // executors come only while tasks wait, so there is nothing to wait for: plan for the most it may add
            int max = positive(conf, "spark.dynamicAllocation.maxExecutors", 0);
            if (max <= 0 || max == Integer.MAX_VALUE) return new Expected(0, 0, "dynamic allocation without a maximum");
            return new Expected(max, perExecutor * max, perExecutor > 0 ? "spark.dynamicAllocation.maxExecutors x spark.executor.cores"
                    : "spark.dynamicAllocation.maxExecutors");
        }
        int instances = positive(conf, "spark.executor.instances", 0);
        if (instances > 0) {
            return new Expected(instances, perExecutor * instances, perExecutor > 0 ? "spark.executor.instances x spark.executor.cores"
                    : "spark.executor.instances");
        }
        int maxCores = positive(conf, "spark.cores.max", 0);
        if (m.startsWith("spark://") && maxCores > 0) {
            return new Expected(perExecutor > 0 ? maxCores / perExecutor : 0, maxCores, perExecutor > 0
                    ? "spark.cores.max / spark.executor.cores" : "spark.cores.max");
        }
        return new Expected(0, 0, "no executor count configured");
    }

    /**
     * Whether enough executors registered to plan: the expected count times the minimum ratio, or, with
     * no count expected, at least one and none new for {@link #SETTLE_SECONDS}.
     */
    public static boolean enoughRegistered(Expected e, double minRatio, int executors, double secondsSinceLastJoin) {
        if (e.executors() > 0) return executors >= Math.max(1, Math.ceil(e.executors() * minRatio - 1e-9));
        return executors > 0 && secondsSinceLastJoin >= SETTLE_SECONDS;
    }

    /**
     * The count from the executors that registered: their cores over spark.task.cpus. An executor's cores
     * are spark.executor.cores where set; otherwise the total is Spark's default parallelism, which a
     * cluster scheduler reports as the registered cores but at least 2 (so one executor's is unknown).
     */
    public static PartitionCount registered(Map<String, String> conf, String master, int executors, int defaultParallelism,
                                            double seconds, boolean timedOut, Expected e) {
        int perExecutor = executorCores(conf, master(conf, master));
        int cores = perExecutor > 0 ? executors * perExecutor : defaultParallelism;
        String wait = String.format(Locale.ROOT, " after %.1f s", seconds);
        String why;
        if (executors == 0) {
            why = "no executor registered" + wait + ", Spark's default parallelism";
        } else {
            why = (perExecutor == 0 && executors == 1 && cores <= 2 ? "1 executor (cores unknown: Spark's default parallelism "
                    + cores + ")" : executorsAndCores(executors, cores)) + " registered" + wait;
            if (timedOut) {
                why += " (" + (e.executors() > 0 ? e.executors() + " expected from " + e.source() : e.source())
                        + "; spark.scheduler.maxRegisteredResourcesWaitingTime reached)";
            } else if (e.executors() > 0 && executors < e.executors()) {
                why += " (" + e.executors() + " expected from " + e.source() + ", spark.scheduler.minRegisteredResourcesRatio reached)";
            }
        }
        return new PartitionCount(slots(conf, Math.max(1, cores)), why);
    }

    /** spark.scheduler.minRegisteredResourcesRatio: Spark's default for cluster schedulers is 0.8. */
    public static double minRegisteredRatio(Map<String, String> conf) {
        String key = "spark.scheduler.minRegisteredResourcesRatio", v = conf.get(key);
        if (v == null) return 0.8;
        try {
            double r = Double.parseDouble(v.trim());
            if (r >= 0 && r <= 1) return r;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UserError(key, "'" + v + "' is not a ratio", "a number from 0 to 1");
    }

    /** spark.scheduler.maxRegisteredResourcesWaitingTime in seconds (Spark's default 30s). */
    public static double maxWaitSeconds(Map<String, String> conf) {
        String key = "spark.scheduler.maxRegisteredResourcesWaitingTime", v = conf.getOrDefault(key, "30s").trim();
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|min|m|h)?").matcher(v.toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new UserError(key, "'" + v + "' is not a duration", "a duration such as 30s or 500ms");
        double x = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2); // Spark reads a bare number as milliseconds here
        return switch (unit) {
            case "ms" -> x / 1000;
            case "s" -> x;
            case "m", "min" -> x * 60;
            default -> x * 3600;
        };
    }

    public static boolean isLocal(String master) {
        return master.equals("local") || LOCAL.matcher(master).matches();
    }

    public static int localThreads(String master) {
        Matcher m = LOCAL.matcher(master);
        if (m.matches()) return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
        return 1;
    }

    private static String master(Map<String, String> conf, String master) {
        return master != null ? master : conf.getOrDefault("spark.master", "local[*]");
    }

    /** Cores of one executor where known: spark.executor.cores, or 1 on YARN and Kubernetes (their default). */
    private static int executorCores(Map<String, String> conf, String master) {
        int given = positive(conf, "spark.executor.cores", 0);
        if (given > 0) return given;
        return master.equals("yarn") || master.startsWith("k8s://") ? 1 : 0;
    }

    private static int slots(Map<String, String> conf, int cores) {
        return Math.max(1, cores / Math.max(1, positive(conf, "spark.task.cpus", 1)));
    }

    private static String executorsAndCores(int executors, int cores) {
        if (cores % executors == 0) {
            int each = cores / executors;
            return executors + (executors == 1 ? " executor" : " executors") + " x " + each + (each == 1 ? " core" : " cores");
        }
        return executors + " executors, " + cores + " cores";
    }

    private static int positive(Map<String, String> conf, String key, int otherwise) {
        String v = conf.get(key);
        if (v == null) return otherwise;
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UserError(key, "'" + v + "' is not a positive integer", "a positive integer");
    }
}
