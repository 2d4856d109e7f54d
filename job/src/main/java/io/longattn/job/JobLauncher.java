package io.longattn.job;

import io.longattn.job.io.NonFiniteScan;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorFormat;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.io.UserError;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelSelectionException;
import io.longattn.kernels.KernelSelector;
import io.longattn.kernels.KernelTraits;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.ChunkPlanException;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns validated command-line input into a {@link JobRequest} and runs it. Every check that needs no
 * cluster (files, shapes, dtypes, options, output path, non-finite values) happens before Spark starts.
 */
public final class JobLauncher {
    private JobLauncher() {
    }

    public static Prepared prepare(RunCommand.Inputs in, JobOptions opt, PrintStream log) {
        Map<String, String> conf = settings(opt);
        // 1. files and shapes
        TensorHeader q = TensorFiles.inspect(in.q(), "q");
        TensorHeader k = TensorFiles.inspect(in.k(), "k");
        TensorHeader v = TensorFiles.inspect(in.v(), "v");
        AttentionSpec spec = spec(in, q, k, v);
        checkOutput("--out", in.out(), in, in.overwrite());
        if (in.lse() != null) {
            checkOutput("--lse", in.lse(), in, in.overwrite());
            if (samePath(in.lse(), in.out())) {
                throw new UserError("--lse", in.lse() + " is also the --out path", "a different path for LSE");
            }
        }
        // 2. options
        String kernelName = Settings.KERNEL.get(conf);
        KernelSelector.Choice kernel;
        try {
            kernel = KernelSelector.standard().select(kernelName);
        } catch (KernelSelectionException e) {
            throw new UserError("--kernel", e.reason(), "one of " + e.available() + " (available on this machine)");
        }
        int threads = intSetting(conf, Settings.THREADS, 1, 256);
        if (threads > 1 && !kernel.name().equals("simd")) {
            throw new UserError(flagOf(Settings.THREADS), threads + " threads need the simd kernel, kernel " + kernel.name()
                    + " has no threads of its own", "--threads 1 or --kernel simd");
        }
        int qChunk = intSetting(conf, Settings.Q_CHUNK, 0, ChunkPlan.MAX_CHUNK);
        int kvChunk = intSetting(conf, Settings.KV_CHUNK, 0, ChunkPlan.MAX_CHUNK);
        if (opt.qChunk != null && opt.qChunk <= 0) throw new UserError("--q-chunk", opt.qChunk + " is not positive", "1.." + ChunkPlan.MAX_CHUNK);
        if (opt.kvChunk != null && opt.kvChunk <= 0) throw new UserError("--kv-chunk", opt.kvChunk + " is not positive", "1.." + ChunkPlan.MAX_CHUNK);
        int partitionsWanted = intSetting(conf, Settings.PARTITIONS, 0, 1_000_000);
        Assignment.Policy balance = switch (Settings.BALANCE.get(conf)) {
            case "lpt", "balanced" -> Assignment.Policy.BALANCED;
            case "none", "contiguous" -> Assignment.Policy.CONTIGUOUS;
            default -> throw new UserError(flagOf(Settings.BALANCE), "'" + Settings.BALANCE.get(conf) + "' is not a balance policy", "lpt or none");
        };
        String strategyWanted = Settings.STRATEGY.get(conf);
        if (!java.util.List.of("auto", "broadcast", "stream", "split-kv").contains(strategyWanted)) {
            throw new UserError(flagOf(Settings.STRATEGY), "'" + strategyWanted + "' is not a strategy", "auto, broadcast, stream or split-kv");
        }
        long budgetGiven = byteSetting(conf, Settings.TASK_MEMORY);
        // 3. values
        if (!in.allowNonFinite()) {
            for (TensorHeader h : new TensorHeader[]{q, k, v}) {
                NonFiniteScan.Result bad = NonFiniteScan.scan(h);
                if (bad != null) {
                    throw new UserError(h.path(), bad.describe(), "finite values (or --allow-nonfinite)");
                }
            }
        }
        long blind = 0;
        for (int i = 0; i < spec.sq(); i++) if (spec.mask().rowKeys(i) == 0) blind++;
        if (blind > 0) {
            log.println("longattn: warning: " + blind + " of " + spec.sq() + " query rows see no key under this mask;"
                    + " their output is 0 and their LSE -inf");
        }
        // a plan with one partition checks the memory budget before Spark starts
        long budget = budgetGiven > 0 ? budgetGiven : defaultTaskMemory(conf);
        plan(kernel.traits(), spec, 1, budget, qChunk, kvChunk, false, threads);

        return new Prepared(q, k, v, spec, in, conf, kernel, threads, qChunk, kvChunk, partitionsWanted, balance,
                strategyWanted, budget, opt.report, opt.master);
    }

    public static JobSummary launch(RunCommand.Inputs in, JobOptions opt, PrintStream log) {
        Prepared p = prepare(in, opt, log);
        try (JavaSparkContext jsc = new JavaSparkContext(sparkConf(p.conf(), p.master()))) {
            jsc.setLogLevel("WARN");
            return execute(p, jsc, log);
        }
    }

    /** Everything checked before Spark starts. */
    record Prepared(TensorHeader q, TensorHeader k, TensorHeader v, AttentionSpec spec, RunCommand.Inputs in,
                    Map<String, String> conf, KernelSelector.Choice kernel, int threads, int qChunk, int kvChunk,
                    int partitionsWanted, Assignment.Policy balance, String strategyWanted, long budget, String report,
                    String master) {
    }

    /** Runs a prepared job on a live Spark context (shared by tests; the CLI makes its own). */
    static JobSummary execute(Prepared p, JavaSparkContext jsc, PrintStream log) {
        TensorFiles.useHadoopConfiguration(jsc.hadoopConfiguration());
        AttentionSpec spec = p.spec();
        Map<String, String> conf = p.conf();
        int partitions = p.partitionsWanted() > 0 ? p.partitionsWanted() : jsc.defaultParallelism();
        long kvBytes = 4L * spec.sk() * spec.hkv() * (spec.d() + spec.dv());
        String strategy = p.strategyWanted();
        String strategyReason = "requested";
        if (strategy.equals("auto")) {
            // broadcast keeps all of K/V on every executor: only when it is small next to executor memory
            long limit = Math.min(Long.parseLong(Settings.BROADCAST_LIMIT.get(conf)), executorMemory(conf) / 4);
            if ((long) spec.sq() * spec.hkv() < 4L * partitions && spec.sk() >= 64L * partitions) {
                strategy = "split-kv";
                strategyReason = "auto: " + spec.sq() + " queries x " + spec.hkv() + " kv heads cannot fill " + partitions
                        + " partitions; key ranges become units";
            } else if (kvBytes <= limit) {
                strategy = "broadcast";
                strategyReason = "auto: K+V is " + kvBytes + " bytes <= " + limit + " (broadcast limit, at most executor memory / 4)";
            } else {
                strategy = "stream";
                strategyReason = "auto: K+V is " + kvBytes + " bytes > " + limit + " (broadcast limit, at most executor memory / 4)";
            }
        }
        ChunkPlan plan = plan(p.kernel().traits(), spec, partitions, p.budget(), p.qChunk(), p.kvChunk(),
                strategy.equals("split-kv"), p.threads());
        RunCommand.Inputs in = p.in();
        JobRequest request = new JobRequest(p.q(), p.k(), p.v(), in.out(), in.lse(), in.overwrite(), spec, plan, partitions,
                p.balance(), p.kernel().name(), p.kernel().reason(), strategy, strategyReason,
                Long.parseLong(Settings.OUTPUT_PARTITION_BYTES.get(conf)),
                Integer.parseInt(Settings.PROGRESS_SECONDS.get(conf)),
                Boolean.parseBoolean(Settings.FAIL_FIRST_ATTEMPT.get(conf)),
                Integer.parseInt(Settings.FAIL_AT_UNIT.get(conf)));
        log.println("longattn: " + spec.describe() + " | kernel " + request.kernel() + " (" + request.kernelReason() + ") | strategy "
                + strategy + " (" + strategyReason + ") | q-chunk " + plan.queryChunk() + ", kv-chunk " + plan.kvChunk()
                + ", " + plan.unitCount() + " units on " + partitions + " partitions ("
                + p.balance().name().toLowerCase(Locale.ROOT) + ")");
        JobSummary summary = AttentionJob.run(jsc, request, log);
        if (p.report() != null) Report.write(p.report(), summary);
        return summary;
    }

    static AttentionSpec spec(RunCommand.Inputs in, TensorHeader q, TensorHeader k, TensorHeader v) {
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
        if (in.scale() != null) {
            if (!(in.scale() > 0) || in.scale().isInfinite()) {
                throw new UserError("--scale", in.scale() + " is not a valid scale", "a finite number > 0");
            }
            scale = in.scale();
        }
        double softcap = 0;
        if (in.softcap() != null) {
            if (!(in.softcap() > 0) || in.softcap().isInfinite()) {
                throw new UserError("--softcap", in.softcap() + " is not a valid soft cap", "a finite number > 0");
            }
            softcap = in.softcap();
        }
        int[] w = in.windowBounds();
        return new AttentionSpec(q.seq(), k.seq(), q.heads(), k.heads(), q.dim(), v.dim(), scale, in.causal(), w[0], w[1], softcap);
    }

    static ChunkPlan plan(KernelTraits traits, AttentionSpec spec, int partitions, long budget, int qChunk, int kvChunk,
                          boolean splitKeys, int threads) {
        try {
            return ChunkPlan.create(new ChunkPlan.Request(spec, traits, partitions, budget, qChunk, kvChunk, splitKeys, threads));
        } catch (ChunkPlanException e) {
            String flag = switch (e.input()) {
                case QUERY_CHUNK -> "--q-chunk";
                case KV_CHUNK -> "--kv-chunk";
                case TASK_MEMORY -> "--task-memory";
            };
            throw new UserError(flag, e.problem(), e.expected());
        }
    }

    /** The output must have a known extension, a writable directory, not be an input, and be new unless overwrite. */
    static void checkOutput(String flag, String out, RunCommand.Inputs in, boolean overwrite) {
        TensorFormat.fromPath(out);
        for (String[] input : new String[][]{{"--q", in.q()}, {"--k", in.k()}, {"--v", in.v()}}) {
            if (samePath(out, input[1])) {
                throw new UserError(flag, out + " is also the input " + input[0], "an output path different from every input");
            }
        }
        if (out.matches("^[A-Za-z][A-Za-z0-9+.-]+:/.*") && !out.startsWith("file:")) {
            return; // a Hadoop file system: the writer checks existence and the directory itself
        }
        Path p = Path.of(out).toAbsolutePath();
        Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UserError(out, "directory " + dir + " does not exist", "an existing, writable directory");
        }
        if (!Files.isWritable(dir)) {
            throw new UserError(out, "directory " + dir + " is not writable", "an existing, writable directory");
        }
        if (Files.isDirectory(p)) {
            throw new UserError(out, "is a directory", "a file path");
        }
        if (Files.exists(p) && !overwrite) {
            throw new UserError(out, "already exists", "a new path or --overwrite");
        }
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

    /** Settings: spark-defaults and --conf (SparkConf loads spark.* system properties), then flags on top. */
    static Map<String, String> settings(JobOptions opt) {
        Map<String, String> conf = new HashMap<>();
        // what SparkConf would load (spark-submit passes spark-defaults and --conf as system properties),
        // read without touching Spark so that a user mistake costs no Spark start-up and no Spark log line
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("spark.")) conf.put(key, System.getProperty(key));
        }
        for (String kv : opt.conf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new UserError("--conf", "'" + kv + "' is not KEY=VALUE", "KEY=VALUE such as spark.longattn.kernel=scalar");
            String key = kv.substring(0, eq);
            if (key.startsWith("spark.longattn.") && Settings.byKey(key).isEmpty()) {
                throw new UserError("--conf", "unknown setting " + key, "one of the keys in 'longattn settings'");
            }
            conf.put(key, kv.substring(eq + 1));
        }
        put(conf, Settings.KERNEL, opt.kernel);
        put(conf, Settings.Q_CHUNK, opt.qChunk);
        put(conf, Settings.KV_CHUNK, opt.kvChunk);
        put(conf, Settings.PARTITIONS, opt.partitions);
        put(conf, Settings.STRATEGY, opt.strategy);
        put(conf, Settings.BALANCE, opt.balance);
        put(conf, Settings.THREADS, opt.threads);
        put(conf, Settings.TASK_MEMORY, opt.taskMemory);
        if (opt.master != null) conf.put("spark.master", opt.master);
        return conf;
    }

    private static void put(Map<String, String> conf, Settings.Setting s, Object v) {
        if (v != null) conf.put(s.key(), String.valueOf(v));
    }

    private static String flagOf(Settings.Setting s) {
        return s.flag() != null ? s.flag() : s.key();
    }

    static int intSetting(Map<String, String> conf, Settings.Setting s, int min, int max) {
        String raw = s.get(conf);
        try {
            int v = Integer.parseInt(raw.trim());
            if (v < min || v > max) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new UserError(flagOf(s), "'" + raw + "' is out of range", "an integer in " + Math.max(min, 1) + ".." + max);
        }
    }

    static long byteSetting(Map<String, String> conf, Settings.Setting s) {
        String raw = s.get(conf);
        try {
            long v = parseBytes(raw);
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new UserError(flagOf(s), "'" + raw + "' is not a byte size", "a size such as 268435456, 256m or 2g");
        }
    }

    /** 123, 64k, 256m, 2g (binary multiples). */
    public static long parseBytes(String raw) {
        String t = raw.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
        long mult = 1;
        if (t.endsWith("k")) mult = 1L << 10;
        else if (t.endsWith("m")) mult = 1L << 20;
        else if (t.endsWith("g")) mult = 1L << 30;
        if (mult > 1) t = t.substring(0, t.length() - 1);
        return Math.multiplyExact(Long.parseLong(t.trim()), mult);
    }

    /** An executor's heap: in local mode the driver's. */
    static long executorMemory(Map<String, String> conf) {
        String master = conf.getOrDefault("spark.master", "local[*]");
        if (master.startsWith("local")) return Runtime.getRuntime().maxMemory();
        return parseBytes(conf.getOrDefault("spark.executor.memory", "1g"));
    }

    /** Executor memory / executor cores; in local mode the driver heap / local threads. */
    static long defaultTaskMemory(Map<String, String> conf) {
        String master = conf.getOrDefault("spark.master", "local[*]");
        if (master.startsWith("local")) {
            return Runtime.getRuntime().maxMemory() / Math.max(1, localThreads(master));
        }
        long mem = parseBytes(conf.getOrDefault("spark.executor.memory", "1g"));
        int cores = Integer.parseInt(conf.getOrDefault("spark.executor.cores", "1"));
        return mem / Math.max(1, cores);
    }

    static int localThreads(String master) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\*|\\d+)(,\\d+)?]").matcher(master);
        if (m.matches()) return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
        if (master.startsWith("local-cluster")) return 1;
        return 1;
    }

    /** Spark configuration: Kryo with our registrator (registration required), our JVM flags on executors. */
    static SparkConf sparkConf(Map<String, String> conf, String master) {
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
        // running tasks report their units-done accumulator with each heartbeat (progress lines)
        sc.setIfMissing("spark.executor.heartbeatInterval", "3s");
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
