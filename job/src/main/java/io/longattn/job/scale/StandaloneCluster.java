package io.longattn.job.scale;

import io.longattn.job.UserError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone Master and W Workers of C cores on 127.0.0.1, as bin/local-cluster starts them: free
 * ports, a work and local folder per worker under one folder, the pids recorded (DIR/pids), and a close that
 * ends exactly what was started, executors included. The workers' SPARK_HOME is an empty jars/ folder:
 * executors get the classpath from spark.executor.extraClassPath.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://[0-9.]+:\\d+)");
    private static final String REGISTERED = "Successfully registered with master";
    /** The daemons run no kernel: C1 only and a small serial-GC heap start them faster on a busy machine. */
    private static final List<String> DAEMON_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m");
    private static final long START_TIMEOUT_MS = 120_000;

    private final Path dir;
    private final String url;
    private final List<Process> workers;
    private final Process master;

    private StandaloneCluster(Path dir, String url, Process master, List<Process> workers) {
        this.dir = dir;
        this.url = url;
        this.master = master;
        this.workers = workers;
    }

    /** Starts the cluster and waits until every worker registered; retries when a probed port was taken meanwhile. */
    static StandaloneCluster start(Path dir, int workers, int cores, long memoryMiB, JvmLaunch jvm) {
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(dir, workers, cores, memoryMiB, jvm);
            } catch (PortTaken e) {
                if (attempt == 3) throw new UserError(dir.toString(), "the standalone master did not get a free port in 3 tries", "a machine with free loopback ports");
            }
        }
    }

    private static final class PortTaken extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private static StandaloneCluster startOnce(Path dir, int workerCount, int cores, long memoryMiB, JvmLaunch jvm) {
        List<Process> started = new ArrayList<>();
        try {
            Path home = Files.createDirectories(dir.resolve("spark-home/jars"));
            int port = freePort();
            String url = "spark://127.0.0.1:" + port;
            List<String> masterOptions = new ArrayList<>(DAEMON_OPTIONS);
            masterOptions.add("-Dspark.master.rest.enabled=false"); // its REST server would not check spark.authenticate
            List<String> cmd = jvm.command(masterOptions, "org.apache.spark.deploy.master.Master");
            cmd.addAll(List.of("--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", "0"));
            Process master = daemon(cmd, home, Files.createDirectories(dir.resolve("master-local")), dir.resolve("master.log"), jvm);
            started.add(master);
            List<Process> workers = new ArrayList<>();
            // side by side with the master: a worker retries until the master listens
            for (int i = 1; i <= workerCount; i++) {
                Path w = Files.createDirectories(dir.resolve("worker-" + i));
                List<String> wc = jvm.command(DAEMON_OPTIONS, "org.apache.spark.deploy.worker.Worker");
                wc.addAll(List.of("--host", "127.0.0.1", "--cores", String.valueOf(cores), "--memory", memoryMiB + "m",
                        "--webui-port", "0", "--work-dir", Files.createDirectories(w.resolve("work")).toString(), url));
                Process p = daemon(wc, home, Files.createDirectories(w.resolve("local")), dir.resolve("worker-" + i + ".log"), jvm);
                started.add(p);
                workers.add(p);
            }
            writePids(dir, started);
            Matcher m = await(dir.resolve("master.log"), MASTER_URL, master);
            if (!m.group(1).equals(url)) throw new PortTaken();
            for (int i = 0; i < workers.size(); i++) {
                await(dir.resolve("worker-" + (i + 1) + ".log"), Pattern.compile(Pattern.quote(REGISTERED)), workers.get(i));
            }
            StandaloneCluster cluster = new StandaloneCluster(dir, url, master, workers);
            started.clear();
            return cluster;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) ChildProcesses.end(started.get(i), 5);
        }
    }

    private static Process daemon(List<String> cmd, Path sparkHome, Path local, Path log, JvmLaunch jvm) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.getParent().toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("SPARK_LOCAL_DIRS", local.toString());
        // executors are started with the workers' JAVA_HOME: the same Java as everything else
        env.put("JAVA_HOME", Path.of(jvm.java()).getParent().getParent().toString());
        Process p = pb.start();
        ChildProcesses.add(p);
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void writePids(Path dir, List<Process> started) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Process p : started) sb.append(p.pid()).append('\n');
        Files.writeString(dir.resolve("pids"), sb.toString(), StandardCharsets.UTF_8);
    }

    /** The first match of a pattern in a daemon's log; a UserError naming the log when the daemon ends or times out. */
    private static Matcher await(Path log, Pattern pattern, Process p) throws IOException {
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (true) {
            if (Files.exists(log)) {
                Matcher m = pattern.matcher(Files.readString(log, StandardCharsets.UTF_8));
                if (m.find()) return m;
            }
            if (!p.isAlive()) {
                throw new UserError(log.toString(), "the Spark daemon ended before it was ready (exit " + p.exitValue() + ")",
                        "a daemon that starts; its log says why not");
            }
            if (System.currentTimeMillis() > deadline) {
                throw new UserError(log.toString(), "the Spark daemon was not ready after " + START_TIMEOUT_MS / 1000 + " s",
                        "a daemon that starts; its log says why not");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError(log.toString(), "interrupted while the cluster started", "an uninterrupted start");
            }
        }
    }

    String url() {
        return url;
    }

    Path dir() {
        return dir;
    }

    /**
     * Waits until the executors of the previous point have ended (bounded): one still computing or
     * exiting would take a core from the next point. Returns false when some still run after the wait.
     */
    boolean awaitIdle(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            boolean busy = workers.stream().anyMatch(w -> w.descendants().anyMatch(ProcessHandle::isAlive));
            if (!busy) return true;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Workers first (each ends its executors), then the master. */
    @Override
    public void close() {
        // listed before the workers go: an executor outliving its worker is re-parented and no longer a descendant
        List<ProcessHandle> executors = workers.stream().flatMap(Process::descendants).toList();
        for (Process w : workers) w.destroy();
        for (Process w : workers) ChildProcesses.end(w, 10);
        for (ProcessHandle e : executors) {
            if (e.isAlive()) e.destroyForcibly();
        }
        ChildProcesses.end(master, 10);
        try {
            Files.deleteIfExists(dir.resolve("pids"));
        } catch (IOException e) {
            // the processes are gone; a stale pid list names only ended processes
        }
    }
}
