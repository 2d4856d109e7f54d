package io.longattn.job;

import io.longattn.job.io.NonFiniteScan;
import io.longattn.job.io.OutputGroup;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorFormat;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.parquet.ParquetJob;
import io.longattn.job.parquet.ParquetLayout;
import io.longattn.job.plan.JobPlanner;
import io.longattn.job.plan.PartitionCount;
import io.longattn.job.report.JobSummary;
import io.longattn.job.report.Report;
import io.longattn.job.report.Timeline;
import io.longattn.job.settings.ByteSize;
import io.longattn.job.settings.Settings;
import io.longattn.job.spark.AttentionJob;
import io.longattn.job.spark.ExecutorHosts;
import io.longattn.job.spark.KernelWarmUp;
import io.longattn.job.spark.LongAttnKryoRegistrator;
import io.longattn.job.spark.PlannedJob;
import io.longattn.job.spark.RegisteredExecutors;
import io.longattn.job.strategy.BroadcastVia;
import io.longattn.job.strategy.Strategy;
import io.longattn.kernels.AttentionSpec;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.Sequences;
import io.longattn.job.plan.SequenceLayout;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a {@link JobRequest}. Every check that needs no cluster (files, shapes, dtypes, settings, output
 * path, the memory budget) happens in {@link #check}, before a SparkContext exists; the non-finite scan and
 * the plan ({@link #scanAndPlan}) run while Spark starts on a thread of its own. The strategy is decided and
 * the job planned once, as soon as the partition count is known (before Spark too, unless only the
 * executors that register on a cluster can tell it).
 */
public final class JobLauncher {
    private JobLauncher() {
    }

    /** Prepares, starts Spark, runs, stops Spark. */
    public static JobSummary launch(JobRequest request, PrintStream log) {
        Interruption.jobStarted(log);
        if (ParquetLayout.applies(request.inputs())) {
            Map<String, String> conf = conf(request);
            // Spark SQL's own task results (schemas read from footers, write statistics) are not Kryo-registered classes
            conf.putIfAbsent("spark.kryo.registrationRequired", "false");
            SparkConf sc = sparkConf(conf, request.master());
            MasterCheck.check(sc);
            return ParquetJob.launch(request, sc, log);
        }
        Prepared checked = check(request);
        SparkConf sc = sparkConf(checked.conf(), request.master());
        MasterCheck.check(sc);
        // Spark starts while the values are scanned, the job planned and, on a local master, the kernel warmed
        try (SparkStart spark = SparkStart.begin(sc, checked.timeline())) {
            Prepared p = scanAndPlan(checked, log);
            if (PartitionCount.isLocal(sc.get("spark.master")) && p.planned() != null) {
                double start = p.timeline().now();
                double warmed = KernelWarmUp.whileSparkStarts(p.planned(), Settings.LOCAL_WARMUP_MILLIS.get(p.conf()) / 1e3,
                        spark::isDone);
                if (warmed > 0) p.timeline().since("kernel_warmup", start);
            }
            return execute(p, spark.context(), log);
        }
    }

    /**
     * Everything checked before Spark starts; planned (and its partition count) is null only when the
     * cluster's registered executors must say the partition count.
     */
    public record Prepared(JobRequest request, Map<String, String> conf, TensorHeader q, TensorHeader k, TensorHeader v,
                           AttentionSpec spec, JobPlanner.KernelPick kernel, int threads, int qChunk, int kvChunk,
                           Assignment.Policy balance, Strategy strategy, long budget, PartitionCount partitions,
                           PlannedJob planned, Sequences sequences, Timeline timeline) {
    }

    public static Prepared prepare(JobRequest request, PrintStream log) {
        return scanAndPlan(check(request), log);
    }

    /** The checks that read no more than the files' headers: all of {@link #prepare} but the values and the plan. */
    static Prepared check(JobRequest request) {
        Timeline timeline = new Timeline();
        Map<String, String> conf = conf(request);
        Settings.check(conf);
        JobRequest.Inputs in = request.inputs();
        // 1. files and shapes
        TensorHeader q = TensorFiles.inspect(in.q(), "q");
        TensorHeader k = TensorFiles.inspect(in.k(), "k");
        TensorHeader v = TensorFiles.inspect(in.v(), "v");
        AttentionSpec spec = spec(request.attention(), q, k, v).withPrecision(Settings.PRECISION.get(conf));
        Sequences sequences = SequenceLayout.of(q, k, v, in.cuSeqlensQ(), in.cuSeqlensK());
        if (sequences.count() > 1 && Settings.STRATEGY.get(conf) == Strategy.SPLIT_KV) {
            throw new UserError("--strategy", "split-kv is asked for " + sequences.count() + " sequences",
                    "auto, broadcast or stream (split-kv runs one sequence)");
        }
        checkOutput("--out", in.out(), in, in.overwrite());
        if (in.lse() != null) {
            checkOutput("--lse", in.lse(), in, in.overwrite());
            if (samePath(in.lse(), in.out())) {
                throw new UserError("--lse", in.lse() + " is also the --out path", "a different path for LSE");
            }
        }
        String report = request.report();
        if (report != null) {
            // the report is replaced like a log, but its directory must be there before the job runs
            checkOutput("--report", report, in, true, false);
            for (String other : new String[]{in.out(), in.lse()}) {
                if (other != null && samePath(report, other)) {
                    throw new UserError("--report", report + " is also an output path", "a different path for the report");
                }
            }
        }
        // 2. settings
        int threads = Settings.THREADS.get(conf);
        JobPlanner.KernelPick kernel = JobPlanner.pickKernel(Settings.KERNEL.get(conf), threads);
        JobPlanner.checkPrecision(kernel, spec);
        long budgetGiven = Settings.TASK_MEMORY.get(conf);
        long budget = budgetGiven > 0 ? budgetGiven : defaultTaskMemory(conf);
        timeline.since("input_checks", 0);
        return new Prepared(request, conf, q, k, v, spec, kernel, threads, Settings.Q_CHUNK.get(conf),
                Settings.KV_CHUNK.get(conf), Settings.BALANCE.get(conf), Settings.STRATEGY.get(conf), budget, null, null, sequences, timeline);
    }

    /** The values (no NaN or Inf unless allowed), then the plan when the partition count is known before Spark. */
    static Prepared scanAndPlan(Prepared p, PrintStream log) {
        Timeline timeline = p.timeline();
        TensorHeader q = p.q(), k = p.k(), v = p.v();
        double scanStart = timeline.now();
        if (!p.request().inputs().allowNonFinite()) {
            for (TensorHeader h : new TensorHeader[]{q, k, v}) {
                NonFiniteScan.Result bad = NonFiniteScan.scan(h);
                if (bad != null) {
                    throw new UserError(h.path(), bad.describe(), "finite values (or --allow-nonfinite)");
                }
            }
        }
        timeline.since("nonfinite_scan", scanStart);
        long blind = blindRows(p.spec(), p.sequences());
        if (blind > 0) {
            log.println("longattn: warning: " + blind + " of " + p.spec().sq() + " query rows see no key under this mask;"
                    + " their output is 0 and their LSE -inf");
        }
        PartitionCount partitions = PartitionCount.beforeSpark(p.conf(), p.request().master(), p.kernel());
        return partitions == null ? p : withPlan(p, partitions);
    }

    /** Runs a prepared job on a live Spark context (shared by tests; {@link #launch} makes its own). */
    public static JobSummary execute(Prepared prepared, JavaSparkContext jsc, PrintStream log) {
        QuietUserErrors.install();
        TensorFiles.useHadoopConfiguration(jsc.hadoopConfiguration());
        PartitionCount count = partitionsOn(prepared, jsc);
        PlannedJob job = count.equals(prepared.partitions()) ? prepared.planned() : withPlan(prepared, count).planned();
        Timeline timeline = prepared.timeline();
        ChunkPlan plan = job.plan();
        String what = plan.sequences().count() == 1 ? job.spec().describe() : SequenceLayout.describe(job.spec(), plan.sequences());
        ExecutorHosts hosts = ExecutorHosts.of(jsc);
        boolean files = job.broadcastVia().files(hosts.onThisMachine());
        String via = job.broadcastVia() == BroadcastVia.AUTO ? hosts.reason() : "requested";
        String kvWay = job.strategy().strategy() != Strategy.BROADCAST ? ""
                : files && jsc.isLocal() ? "; read once, in the driver's JVM, where the tasks run"
                : files ? "; each executor reads them from the files once: " + via
                : "; Spark's torrent broadcast: " + via;
        log.println("longattn: " + what + " | kernel " + job.kernel().request() + " (" + job.kernel().reason()
                + ") | strategy " + job.strategy().strategy().label() + " (" + job.strategy().reason() + kvWay + ") | q-chunk "
                + plan.queryChunk() + ", kv-chunk " + plan.kvChunk() + ", " + Plural.of(plan.unitCount(), "unit") + " | "
                + Plural.of(job.partitions(), "partition") + ": " + count.reason() + " (" + job.balance().name().toLowerCase(Locale.ROOT) + ")");
        // O, LSE and the report appear together or not at all
        try (OutputGroup outputs = new OutputGroup()) {
            JobSummary summary = AttentionJob.run(jsc, job, hosts, log, timeline, outputs);
            String report = prepared.request().report();
            if (report != null) outputs.addText(report, Report.text(summary), true);
            // a task that opened an input after it changed failed the job; this catches a change after the last one
            for (TensorHeader h : new TensorHeader[]{job.q(), job.k(), job.v()}) TensorFiles.verifyUnchanged(h);
            outputs.commit();
            Interruption.finished();
            return summary;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The plan for a shape as a job on a local master would make it, without files or Spark. */
    public record Preview(ChunkPlan plan, int partitions, long budget, JobPlanner.KernelPick kernel) {
    }

    /**
     * What `longattn plan` shows: the same settings, defaults and planner as a job with keys not split;
     * partitions default to the local master's threads and the budget to its heap share.
     */
    public static Preview preview(AttentionSpec spec, Map<String, String> settings) {
        return preview(spec, settings, Sequences.single(spec.sq(), spec.sk()));
    }

    /** As {@link #preview(AttentionSpec, Map)} for many sequences (their totals are the spec's lengths). */
    public static Preview preview(AttentionSpec spec, Map<String, String> settings, Sequences sequences) {
        Map<String, String> conf = new HashMap<>(settings);
        Settings.check(conf);
        int threads = Settings.THREADS.get(conf);
        JobPlanner.KernelPick kernel = JobPlanner.planKernel(Settings.KERNEL.get(conf), threads);
        long given = Settings.TASK_MEMORY.get(conf);
        long budget = given > 0 ? given : defaultTaskMemory(conf);
        PartitionCount count = PartitionCount.beforeSpark(conf, null, kernel);
        if (count == null) {
            throw new UserError("--partitions", "the master " + conf.get("spark.master") + " does not say how many executors it has",
                    "--partitions N, or spark.executor.instances and spark.executor.cores");
        }
        int partitions = count.partitions();
        ChunkPlan plan = JobPlanner.plan(new JobPlanner.PlanRequest(spec, kernel, partitions, budget, Settings.Q_CHUNK.get(conf),
                Settings.KV_CHUNK.get(conf), false, threads, sequences));
        return new Preview(plan, partitions, budget, kernel);
    }

    /**
     * The partition count on the context the job runs on: as prepared when the request named its master;
     * a context made otherwise (a test's) decides; on a cluster with no configured total, the executors
     * that registered.
     */
    private static PartitionCount partitionsOn(Prepared p, JavaSparkContext jsc) {
        if (Settings.PARTITIONS.get(p.conf()) > 0) return p.partitions();
        if (jsc.isLocal()) {
            PartitionCount gpu = p.conf().containsKey("spark.default.parallelism") ? null : PartitionCount.perGpu(jsc.master(), p.kernel());
            if (gpu != null) return gpu;
            return new PartitionCount(jsc.defaultParallelism(), p.conf().containsKey("spark.default.parallelism")
                    ? "spark.default.parallelism" : jsc.master() + " threads");
        }
        PartitionCount configured = PartitionCount.beforeSpark(RegisteredExecutors.conf(jsc), jsc.master(), p.kernel());
        return configured != null ? configured : RegisteredExecutors.await(jsc);
    }

    /**
     * Work per task slot below which the default balance plans one task per slot (LPT), not guided: 10 GFLOP is a few
     * seconds of one core; a 2,048-token causal job (1 GFLOP on 2 slots) spent 0.36 s of compute phase on 14
     * guided tasks that computed for 0.06 s in all.
     */
    static final double GUIDED_MIN_FLOPS_PER_SLOT = 1e10;

    /**
     * The default guided balance's smallest partition, about half a second of one core at 50-85 GFLOP/s: a task
     * costs ~0.1 s beyond its units on a 2-core local master (the last guided tasks of a 65,536-token causal job,
     * 8.6 GFLOP each, took 0.15-0.26 s). A guided balance asked for by name keeps the plain rule (partitions down
     * to 1/64 of a slot's share, whatever their size).
     */
    static final double GUIDED_MIN_PARTITION_FLOPS = 4e10;

    /** Decides the strategy and makes the plan: once per job. */
    private static Prepared withPlan(Prepared p, PartitionCount count) {
        double start = p.timeline().now();
        int partitions = count.partitions();
        Map<String, String> conf = p.conf();
        // broadcast keeps all of K/V on every executor: only when it is small next to executor memory
        long limit = Math.min(Settings.BROADCAST_LIMIT.get(conf), executorMemory(conf) / 4);
        Strategy.Decision strategy = Strategy.decide(p.strategy(), p.spec(), partitions, limit);
        if (p.sequences().count() > 1 && strategy.strategy().splitsKeys()) {
            // many short sequences fill the partitions by themselves: their key ranges are not split
            strategy = Strategy.decide(Strategy.AUTO, p.spec(), 0, limit);
        }
        ChunkPlan plan = JobPlanner.plan(new JobPlanner.PlanRequest(p.spec(), p.kernel(), partitions, p.budget(), p.qChunk(),
                p.kvChunk(), strategy.strategy().splitsKeys(), p.threads(), p.sequences()));
        JobRequest.Inputs in = p.request().inputs();
        // guided tasks pay for themselves when a slot has seconds of work; below that Spark's per-task cost dominates,
        // so the default (not a requested guided) is one task per slot, and its guided partitions have a minimum
        boolean balanceAsked = conf.containsKey(Settings.BALANCE.key());
        Assignment.Policy balance = !balanceAsked && p.balance() == Assignment.Policy.GUIDED
                && plan.totalFlops() < GUIDED_MIN_FLOPS_PER_SLOT * partitions ? Assignment.Policy.BALANCED : p.balance();
        PlannedJob job = new PlannedJob(p.q(), p.k(), p.v(), in.out(), in.lse(), in.overwrite(), Settings.COMPRESSION.get(conf),
                p.spec(), plan, partitions,
                balance, balanceAsked ? 0 : GUIDED_MIN_PARTITION_FLOPS, p.kernel(), strategy, Settings.BROADCAST_VIA.get(conf), Settings.OUTPUT_PARTITION_BYTES.get(conf), Settings.OUTPUT_WRITERS.get(conf),
                Settings.WARMUP_MILLIS.get(conf),
                Settings.PROGRESS_SECONDS.get(conf), Settings.FAIL_FIRST_ATTEMPT.get(conf), Settings.FAIL_AT_UNIT.get(conf));
        p.timeline().since("planning", start);
        return new Prepared(p.request(), conf, p.q(), p.k(), p.v(), p.spec(), p.kernel(), p.threads(), p.qChunk(), p.kvChunk(),
                p.balance(), p.strategy(), p.budget(), count, job, p.sequences(), p.timeline());
    }

    /** Query rows that see no key: masked out, or in a sequence without keys. */
    static long blindRows(AttentionSpec spec, Sequences sequences) {
        if (sequences.count() == 1) {
            long blind = 0;
            for (int i = 0; i < spec.sq(); i++) if (spec.mask().rowKeys(i) == 0) blind++;
            return blind;
        }
        long blind = 0;
        for (int s = 0; s < sequences.count(); s++) {
            int sq = sequences.sq(s), sk = sequences.sk(s);
            if (sk == 0) {
                blind += sq;
                continue;
            }
            if (sq == 0) continue;
            AttentionSpec one = new AttentionSpec(sq, sk, spec.hq(), spec.hkv(), spec.d(), spec.dv(), spec.scale(), spec.causal(),
                    spec.windowLeft(), spec.windowRight(), spec.softcap());
            for (int i = 0; i < sq; i++) if (one.mask().rowKeys(i) == 0) blind++;
        }
        return blind;
    }

    /**
     * The longest Sq or Sk a job plans. Rows are int indices throughout the plan and the kernels, and a chunk's
     * end (first row + chunk, a chunk being at most 2^20 rows) must not wrap past 2^31; 2^30 leaves that margin.
     */
    public static final int MAX_SEQUENCE = 1 << 30;

    static AttentionSpec spec(JobRequest.Attention a, TensorHeader q, TensorHeader k, TensorHeader v) {
        // before the non-finite scan: a file too long to plan should not cost a scan of its gigabytes first
        for (TensorHeader h : new TensorHeader[]{q, k}) {
            if (h.seq() > MAX_SEQUENCE) {
                throw new UserError(h.path(), "has " + h.seq() + " tokens, more than a job can plan",
                        "at most " + MAX_SEQUENCE + " tokens (2^30)");
            }
        }
        if (k.dim() != q.dim()) {
            throw new UserError(k.path(), "head_dim " + k.dim() + " does not match " + q.path() + " head_dim " + q.dim(), String.valueOf(q.dim()));
        }
        if (v.seq() != k.seq()) {
            throw new UserError(v.path(), "sequence length " + v.seq() + " does not match " + k.path() + " sequence length " + k.seq(), String.valueOf(k.seq()));
        }
        if (v.heads() != k.heads()) {
            throw new UserError(v.path(), "heads " + v.heads() + " does not match " + k.path() + " heads " + k.heads(), String.valueOf(k.heads()));
        }
        if (q.heads() % k.heads() != 0) {
            throw new UserError(k.path(), "kv heads " + k.heads() + " does not divide " + q.path() + " heads " + q.heads(),
                    "a divisor of " + q.heads() + " (MHA, GQA or MQA)");
        }
        double scale = AttentionSpec.defaultScale(q.dim());
        if (a.scale() != null) {
            if (!(a.scale() > 0) || a.scale().isInfinite()) {
                throw new UserError("--scale", a.scale() + " is not a valid scale", "a finite number > 0");
            }
            scale = a.scale();
        }
        double softcap = 0;
        if (a.softcap() != null) {
            if (!(a.softcap() > 0) || a.softcap().isInfinite()) {
                throw new UserError("--softcap", a.softcap() + " is not a valid soft cap", "a finite number > 0");
            }
            softcap = a.softcap();
        }
        return new AttentionSpec(q.seq(), k.seq(), q.heads(), k.heads(), q.dim(), v.dim(), scale, a.causal(),
                a.windowLeft(), a.windowRight(), softcap);
    }

    /** The output must have a known extension, a writable directory, not be an input, and be new unless overwrite. */
    static void checkOutput(String flag, String out, JobRequest.Inputs in, boolean overwrite) {
        checkOutput(flag, out, in, overwrite, true);
    }

    private static void checkOutput(String flag, String out, JobRequest.Inputs in, boolean overwrite, boolean tensor) {
        if (tensor) TensorFormat.fromPath(out);
        for (String[] input : new String[][]{{"--q", in.q()}, {"--k", in.k()}, {"--v", in.v()}}) {
            if (samePath(out, input[1])) {
                throw new UserError(flag, out + " is also the input " + input[0], "an output path different from every input");
            }
        }
        TensorFiles.checkOutput(out, overwrite);
    }

    static boolean samePath(String a, String b) {
        try {
            Path pa = Path.of(a).toAbsolutePath().normalize(), pb = Path.of(b).toAbsolutePath().normalize();
            if (pa.equals(pb)) return true;
            return Files.exists(pa) && Files.exists(pb) && Files.isSameFile(pa, pb);
        } catch (IOException | RuntimeException e) {
            return a.equals(b);
        }
    }

    /**
     * Spark configuration as SparkConf would load it (spark-submit passes spark-defaults and --conf as
     * system properties), read without touching Spark so that a user mistake costs no Spark start-up and
     * no Spark log line; the request's own configuration on top.
     */
    static Map<String, String> conf(JobRequest request) {
        Map<String, String> conf = new HashMap<>();
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("spark.")) conf.put(key, System.getProperty(key));
        }
        conf.putAll(request.conf());
        if (request.master() != null) conf.put("spark.master", request.master());
        return conf;
    }

    /** An executor's heap: in local mode the driver's. */
    static long executorMemory(Map<String, String> conf) {
        String master = conf.getOrDefault("spark.master", "local[*]");
        if (master.startsWith("local")) return Runtime.getRuntime().maxMemory();
        return sparkExecutorMemory(conf);
    }

    private static long sparkExecutorMemory(Map<String, String> conf) {
        String raw = conf.getOrDefault("spark.executor.memory", "1g");
        try {
            return ByteSize.sparkMemory(raw);
        } catch (NumberFormatException e) {
            throw new UserError("--conf", "spark.executor.memory=" + raw + " is not a memory size",
                    "a size such as 3g or 3072m (a bare number is MiB, as Spark reads it)");
        }
    }

    /** Executor memory / executor cores; in local mode the driver heap / local threads. */
    static long defaultTaskMemory(Map<String, String> conf) {
        String master = conf.getOrDefault("spark.master", "local[*]");
        if (master.startsWith("local")) {
            return Runtime.getRuntime().maxMemory() / Math.max(1, PartitionCount.localThreads(master));
        }
        long mem = sparkExecutorMemory(conf);
        int cores = Integer.parseInt(conf.getOrDefault("spark.executor.cores", "1"));
        return mem / Math.max(1, cores);
    }

    /** Spark configuration: Kryo with our registrator (registration required), our JVM flags on executors. */
    public static SparkConf sparkConf(Map<String, String> conf, String master) {
        SparkConf sc = new SparkConf();
        for (var e : conf.entrySet()) {
            if (e.getKey().startsWith("spark.")) sc.set(e.getKey(), e.getValue());
        }
        if (!sc.contains("spark.master")) sc.setMaster("local[*]");
        if (master != null) sc.setMaster(master);
        sc.setIfMissing("spark.app.name", "LongAttn");
        sc.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        sc.setIfMissing("spark.kryo.registrator", LongAttnKryoRegistrator.class.getName());
        sc.setIfMissing("spark.kryo.registrationRequired", "true");
        sc.setIfMissing("spark.ui.enabled", "false");
        // a standalone driver takes its secret from spark.authenticate.secret only; the environment keeps it off
        // command lines (ps) and out of files, as the daemons and executors already take it
        String secret = System.getenv("_SPARK_AUTH_SECRET");
        if (sc.getBoolean("spark.authenticate", false) && !sc.contains("spark.authenticate.secret") && secret != null
                && !secret.isEmpty()) {
            sc.set("spark.authenticate.secret", secret);
        }
        // running tasks report their units-done accumulator with each heartbeat (progress lines)
        sc.setIfMissing("spark.executor.heartbeatInterval", "3s");
        // units read their data from a broadcast or the files, never from a preferred host: no task waits for one
        sc.setIfMissing("spark.locality.wait", "0s");
        if (sc.get("spark.master").startsWith("local")) {
            // one JVM: K/V and results never cross a network, and random floats do not compress anyway
            sc.setIfMissing("spark.broadcast.compress", "false");
            sc.setIfMissing("spark.shuffle.compress", "false");
            sc.setIfMissing("spark.shuffle.spill.compress", "false");
            // nothing to reach from outside: no host name lookup, no port on a public interface
            sc.setIfMissing("spark.driver.host", "127.0.0.1");
            sc.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        String flags = jvmFlags();
        String exec = sc.get("spark.executor.extraJavaOptions", "");
        if (!exec.contains("jdk.incubator.vector")) sc.set("spark.executor.extraJavaOptions", (exec + " " + flags).trim());
        return sc;
    }

    /** The JVM flags from the parent pom, as built into the job jar. */
    public static String jvmFlags() {
        try (InputStream in = JobLauncher.class.getResourceAsStream("jvm.flags")) {
            return in == null ? "--add-modules=jdk.incubator.vector" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "--add-modules=jdk.incubator.vector";
        }
    }
}
