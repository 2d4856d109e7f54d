package io.longattn.job.scale;

import io.longattn.job.Plural;
import io.longattn.job.UserError;
import io.longattn.job.settings.ByteSize;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Runs one point's job as `longattn run` in a driver JVM of its own. A fresh driver per run keeps the points
 * independent and their walls honest: a driver reused across points would carry a JIT-compiled output path,
 * loaded classes and warmed Kryo from one point into the next, so later points would pay less than the
 * first, and less than a user's job pays. Executors are fresh JVMs per application anyway.
 */
final class PointRunner {
    /** A run that did not give a result: the line to print and the exit status. */
    static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Failed(String line, int status) {
            super(line);
            this.status = status;
        }
    }

    private final ScaleRequest request;
    private final JvmLaunch jvm;
    private final String master;
    private final boolean localCluster;
    private final Path driverLocal;

    /**
     * @param master       the master URL every point runs on
     * @param localCluster whether the experiment started it here (loopback; executors share this classpath)
     */
    PointRunner(ScaleRequest request, JvmLaunch jvm, String master, boolean localCluster, Path driverLocal) {
        this.request = request;
        this.jvm = jvm;
        this.master = master;
        this.localCluster = localCluster;
        this.driverLocal = driverLocal;
    }

    /** The per-point Spark configuration: exactly N executors of C cores, all registered before the job plans. */
    Map<String, String> pointConf(int executors) {
        int c = request.coresPerExecutor();
        Map<String, String> conf = new java.util.LinkedHashMap<>();
        conf.put("spark.executor.cores", String.valueOf(c));
        conf.put("spark.cores.max", String.valueOf(executors * c));
        conf.put("spark.executor.instances", String.valueOf(executors));
        conf.put("spark.dynamicAllocation.enabled", "false");
        // Spark's scheduler waits for every core before the first job, instead of 80% of them
        conf.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        conf.putIfAbsent("spark.scheduler.maxRegisteredResourcesWaitingTime",
                request.conf().getOrDefault("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s"));
        conf.put("spark.extraListeners", ExecutorTally.class.getName());
        if (localCluster) conf.put("spark.executor.extraClassPath", jvm.classpath());
        // executors elsewhere need LongAttn's jar (the shaded one on a cluster); those here get it too, since with the
        // main class run directly they otherwise fail tasks with "unread block data" (bench/device)
        if (jvm.jobJar() != null && !request.conf().containsKey("spark.jars")) conf.put("spark.jars", jvm.jobJar());
        return conf;
    }

    /** The command line of a run's driver. */
    List<String> command(int executors, Path data, Path runDir) {
        List<String> options = new ArrayList<>();
        String driverMemory = request.conf().get("spark.driver.memory");
        if (driverMemory != null) options.add("-Xmx" + mebibytes("spark.driver.memory", driverMemory) + "m");
        for (String p : List.of("log4j2.configurationFile", "java.io.tmpdir")) {
            if (System.getProperty(p) != null) options.add("-D" + p + "=" + System.getProperty(p));
        }
        options.add("-D" + ExecutorTally.PROPERTY + "=" + runDir.resolve("executors.txt"));
        List<String> cmd = jvm.command(options, "io.longattn.job.Main");
        cmd.addAll(List.of("run", "--q", data.resolve("q.npy").toString(), "--k", data.resolve("k.npy").toString(),
                "--v", data.resolve("v.npy").toString(), "--out", runDir.resolve("o.npy").toString(),
                "--report", runDir.resolve("report.json").toString(), "--overwrite",
                "--allow-nonfinite")); // the data is generated: the scan for NaN would only add a pass over the files
        var a = request.attention();
        if (a.causal()) cmd.add("--causal");
        if (a.windowLeft() >= 0 || a.windowRight() >= 0) cmd.addAll(List.of("--window", a.windowLeft() + "," + a.windowRight()));
        cmd.addAll(List.of("--master", master));
        for (var e : request.conf().entrySet()) cmd.addAll(List.of("--conf", e.getKey() + "=" + e.getValue()));
        for (var e : pointConf(executors).entrySet()) cmd.addAll(List.of("--conf", e.getKey() + "=" + e.getValue()));
        cmd.addAll(request.runFlags());
        return cmd;
    }

    /** Runs the job, reads its report and the executors it had, hashes the output and removes it. */
    ScaleRun run(int executors, ScaleRequest.Shape shape, int rep, Path data, Path runDir) throws Failed {
        Path log = runDir.resolve("run.log");
        int status;
        try {
            Files.createDirectories(runDir);
            for (String f : List.of("report.json", "executors.txt", "o.npy")) Files.deleteIfExists(runDir.resolve(f));
            ProcessBuilder pb = new ProcessBuilder(command(executors, data, runDir)).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            if (localCluster) {
                pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
                pb.environment().put("SPARK_LOCAL_DIRS", Files.createDirectories(driverLocal).toString());
            }
            Process p = pb.start();
            ChildProcesses.add(p);
            try {
                status = p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ChildProcesses.end(p, 5);
                throw new Failed(log + ": interrupted, expected the run to finish", 1);
            } finally {
                ChildProcesses.remove(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String label = Plural.of(executors, "executor") + " (rep " + rep + ")";
        if (status != 0) {
            String last = lastLongattnLine(log);
            // the driver's own user-error line says what to fix; anything else is in its log
            if (status == 2 && last != null) throw new Failed(last.substring("longattn: ".length()), 2);
            throw new Failed(log + ": the run of " + label + " ended with exit " + status
                    + (last != null ? " (" + last + ")" : "") + ", expected exit 0; the log has the details", 1);
        }
        Properties tally = new Properties();
        try (InputStream in = Files.newInputStream(runDir.resolve("executors.txt"))) {
            tally.load(in);
        } catch (IOException e) {
            throw new Failed(runDir.resolve("executors.txt") + ": the run of " + label + " left no executor tally ("
                    + e.getMessage() + "), expected one written when its application ended", 1);
        }
        int peak = Integer.parseInt(tally.getProperty("peak", "0"));
        if (peak != executors) {
            throw new Failed(log + ": the run of " + label + " had " + peak + " executors at once (" + tally.getProperty("registered")
                    + " registered), expected exactly " + executors, 1);
        }
        Map<String, Object> report;
        try {
            report = ReportJson.object(Files.readString(runDir.resolve("report.json"), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new Failed(runDir.resolve("report.json") + ": unreadable (" + e.getMessage() + "), expected the job's JSON report", 1);
        }
        Path out = runDir.resolve("o.npy");
        String sha = sha256(out);
        try {
            Files.delete(out); // the hash is what the experiment keeps; outputs of large points would fill the disk
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        @SuppressWarnings("unchecked")
        List<Object> tasks = (List<Object>) report.get("task_seconds");
        double[] taskSeconds = tasks.stream().mapToDouble(t -> ((Number) t).doubleValue()).toArray();
        @SuppressWarnings("unchecked")
        List<Object> slots = (List<Object>) report.get("slot_seconds");
        double[] slotSeconds = slots == null ? taskSeconds : slots.stream().mapToDouble(t -> ((Number) t).doubleValue()).toArray();
        return new ScaleRun(executors, shape, rep, String.valueOf(report.get("kernel")), number(report, "partitions").intValue(),
                number(report, "wall_seconds").doubleValue(), taskSeconds, number(report, "gflops").doubleValue(),
                number(report, "flops").doubleValue(), sha, slotSeconds);
    }

    private static Number number(Map<String, Object> report, String key) {
        if (report.get(key) instanceof Number n) return n;
        throw new IllegalStateException("the job report has no number " + key + ": " + report.keySet());
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String lastLongattnLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("longattn: ")) return lines.get(i);
            }
        } catch (IOException | UncheckedIOException e) {
            // no line to quote: the message points to the log
        }
        return null;
    }

    /** A Spark memory size in MiB: a bare number is MiB, as Spark reads spark.driver.memory and spark.executor.memory. */
    static long mebibytes(String key, String value) {
        String v = value.trim();
        try {
            if (v.matches("\\d+")) return Long.parseLong(v);
            return Math.max(1, (ByteSize.parse(v) + (1 << 20) - 1) >> 20);
        } catch (NumberFormatException e) {
            throw new UserError("--conf", key + "=" + value + " is not a memory size", "a size such as 3g or 3072m");
        }
    }
}
