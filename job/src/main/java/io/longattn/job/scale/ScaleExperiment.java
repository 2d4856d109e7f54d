package io.longattn.job.scale;

import io.longattn.job.Plural;
import io.longattn.job.UserError;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;

import java.awt.AWTError;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs a scaling experiment: inputs generated once per size (seeded) under DIR/data and reused, the machine's
 * ceiling probed (DIR/probe.csv; not with a master given), a standalone cluster of as many workers as the largest
 * point has executors started here unless a master is given, every point's repetitions run as jobs of their own
 * (DIR/runs/...), then DIR/results.csv, the plots and DIR/summary.md. One cluster serves every point: each worker
 * has exactly the cores of one executor, and a point asks for N executors' cores (spark.cores.max), so the master
 * places exactly N executors, one per worker; the executors of a point are new JVMs, as they would be on a fresh
 * cluster, without paying a cluster start per point.
 */
public final class ScaleExperiment {
    /** Writes a problem's Q, K and V (seeded, so the same shape always gives the same files) into a folder. */
    public interface DataWriter {
        void write(Path dir, ScaleRequest.Shape shape);
    }

    /** How the experiment ended: status 0 and its closing line, or the status and the one line that says why not. */
    public record Outcome(int status, String line) {
    }

    static final String RESULTS = "results.csv", SUMMARY = "summary.md";
    private static final long IDLE_TIMEOUT_MS = 60_000;

    private ScaleExperiment() {
    }

    public static Outcome run(ScaleRequest req, DataWriter writer, PrintStream log) {
        Path out = req.out();
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UserError("--out", out + " cannot be created (" + e.getMessage() + ")", "a writable directory");
        }
        JvmLaunch jvm = JvmLaunch.current();
        ResultsTable table = new ResultsTable(req, environment());
        Map<Integer, Path> data = new LinkedHashMap<>();
        for (int n : req.executors()) data.put(n, inputs(out.resolve("data"), req.shapeAt(n), writer));
        // before the cluster starts: the probe must have the cores to itself, as each point's executors will
        MachineCeiling ceiling = MachineCeiling.probe(req, jvm);
        if (MachineCeiling.skipped(req) == null) log.println(ceiling.line(out));

        int status = 0;
        String failure = null;
        StandaloneCluster cluster = null;
        try {
            String master = req.master();
            if (master == null) {
                int most = req.executors().get(req.executors().size() - 1);
                long memory = PointRunner.mebibytes("spark.executor.memory", req.conf().getOrDefault("spark.executor.memory", "1g"));
                cluster = StandaloneCluster.start(out.resolve("cluster"), most, req.coresPerExecutor(), memory, jvm);
                master = cluster.url();
            }
            log.println("longattn: scale " + req.mode().label() + " | " + req.executors().stream().map(String::valueOf)
                    .collect(Collectors.joining(", ")) + " executors x " + Plural.of(req.coresPerExecutor(), "core") + " | "
                    + Plural.of(req.reps(), "rep") + " | " + (cluster == null ? "master " + master
                    : "standalone cluster " + master + " (" + Plural.of(req.executors().get(req.executors().size() - 1), "worker")
                    + ", logs in " + cluster.dir() + ")") + " | results in " + out);
            PointRunner runner = new PointRunner(req, jvm, master, cluster != null, out.resolve("cluster").resolve("driver-local"));
            Map<Object, ScaleRun> firstOfProblem = new LinkedHashMap<>();
            points:
            for (int i = 0; i < req.executors().size(); i++) {
                int n = req.executors().get(i);
                for (int rep = 1; rep <= req.reps(); rep++) {
                    if (cluster != null && !cluster.awaitIdle(IDLE_TIMEOUT_MS)) {
                        log.println("longattn: warning: executors of the previous run still run after "
                                + IDLE_TIMEOUT_MS / 1000 + " s; starting the next run anyway");
                    }
                    Path runDir = out.resolve("runs").resolve(String.format(Locale.ROOT, "%s-%03dx%d-r%d", req.mode().label(), n,
                            req.coresPerExecutor(), rep));
                    ScaleRun r = runner.run(n, req.shapeAt(n), rep, data.get(n), runDir);
                    table.add(r);
                    table.write(out.resolve(RESULTS));
                    log.println(progress(req, table, r, i + 1));
                    // the same problem must give the same bits: every point of a strong run, every rep of a weak point
                    ScaleRun first = firstOfProblem.putIfAbsent(req.mode() == ScaleMode.STRONG ? "all" : n, r);
                    if (first != null && !first.outputSha256().equals(r.outputSha256())) {
                        status = 1;
                        failure = out.resolve(RESULTS) + ": output bits differ: " + describe(first) + " gave sha256 "
                                + first.outputSha256() + ", " + describe(r) + " gave " + r.outputSha256()
                                + ", expected the same bits " + (req.mode() == ScaleMode.STRONG ? "at every point of a strong run"
                                : "in every repetition of a point");
                        break points;
                    }
                }
            }
        } catch (PointRunner.Failed f) {
            status = f.status;
            failure = f.getMessage();
        } finally {
            if (cluster != null) cluster.close();
        }
        String plotProblem = null;
        if (!table.runs().isEmpty()) {
            table.write(out.resolve(RESULTS));
            List<ResultsTable.Point> points = table.points();
            String title = req.mode().label() + " scaling, " + problem(req, points.get(0).shape());
            try {
                ScalePlots.write(out, title, points, req.coresPerExecutor(), req.slots(1), ceiling);
            } catch (RuntimeException | LinkageError | AWTError | InternalError e) {
                // AWT draws text with the system's fonts and freetype; a minimal machine may have neither, and the
                // measurements must not be lost for want of a picture
                plotProblem = "the plots could not be drawn (" + e + "); results.csv has every number";
                log.println("longattn: warning: " + plotProblem);
            }
            ResultsTable.writeAtomically(out.resolve(SUMMARY), ScaleSummary.markdown(req, table, points, ceiling, title, failure,
                    plotProblem));
        }
        if (failure != null) return new Outcome(status, failure);
        ResultsTable.Point last = table.points().get(table.points().size() - 1);
        String files = (plotProblem != null ? out.resolve(RESULTS) + ", " + out.resolve(SUMMARY) + " (no plots)"
                : out.resolve(RESULTS) + ", " + out.resolve(ScalePlots.TIME) + ", " + out.resolve(ScalePlots.EFFICIENCY) + ", "
                + out.resolve(SUMMARY)) + (ceiling.measured() ? ", " + out.resolve(MachineCeiling.FILE) : "");
        double limit = ceiling.atExecutors(last.executors());
        return new Outcome(0, String.format(Locale.ROOT, "longattn: scale done | %s efficiency at %s: %.3f%s | %s",
                req.mode().label(), Plural.of(last.executors(), "executor"), last.efficiency(),
                Double.isNaN(limit) ? "" : String.format(Locale.ROOT, " (machine ceiling %.2f)", limit), files));
    }

    private static String describe(ScaleRun r) {
        return Plural.of(r.executors(), "executor") + " (rep " + r.rep() + ")";
    }

    static String problem(ScaleRequest req, ScaleRequest.Shape s) {
        String mask = req.attention().causal() ? " causal" : "";
        if (!req.windowText().equals("none")) mask += " window " + req.windowText();
        return String.format(Locale.ROOT, "Sq=%d Sk=%d Hq=%d Hkv=%d D=%d Dv=%d%s", s.seq(), s.kvSeq(), s.heads(), s.kvHeads(),
                s.dim(), s.vDim(), mask);
    }

    private static String progress(ScaleRequest req, ResultsTable table, ScaleRun r, int point) {
        return String.format(Locale.ROOT, "longattn: scale %s point %d/%d | %s x %s | Sq %d Sk %d | rep %d/%d | wall %.2f s"
                        + " | compute %.2f s | overhead %.2f s | max/mean %.2f | %.1f GFLOP/s | efficiency %.3f | sha256 %s",
                req.mode().label(), point, req.executors().size(), Plural.of(r.executors(), "executor"),
                Plural.of(req.coresPerExecutor(), "core"), r.shape().seq(), r.shape().kvSeq(), r.rep(), req.reps(), r.wallSeconds(),
                r.computeSeconds(), table.overhead(r), r.maxOverMean(), r.gflops(), table.efficiency(r),
                r.outputSha256().substring(0, 16));
    }

    /** The folder holding a shape's inputs, written unless a folder with exactly that shape is already there. */
    static Path inputs(Path root, ScaleRequest.Shape s, DataWriter writer) {
        Path dir = root.resolve(String.format(Locale.ROOT, "s%d-sk%d-h%d-g%d-d%d-dv%d", s.seq(), s.kvSeq(), s.heads(), s.kvHeads(),
                s.dim(), s.vDim()));
        if (!matches(dir, s)) writer.write(dir, s);
        return dir;
    }

    private static boolean matches(Path dir, ScaleRequest.Shape s) {
        int[][] want = {{s.seq(), s.heads(), s.dim()}, {s.kvSeq(), s.kvHeads(), s.dim()}, {s.kvSeq(), s.kvHeads(), s.vDim()}};
        String[] names = {"q", "k", "v"};
        for (int i = 0; i < 3; i++) {
            Path f = dir.resolve(names[i] + ".npy");
            if (!Files.isRegularFile(f)) return false;
            try {
                TensorHeader h = TensorFiles.inspect(f.toString(), names[i]);
                if (h.seq() != want[i][0] || h.heads() != want[i][1] || h.dim() != want[i][2]) return false;
            } catch (UserError e) {
                return false; // a file a killed generation left half-written: write it again
            }
        }
        return true;
    }

    /** The commit (LONGATTN_COMMIT, else git where the classes were built), the Java version and the host. */
    static ResultsTable.Environment environment() {
        String commit = System.getenv("LONGATTN_COMMIT");
        if (commit == null || commit.isBlank()) commit = gitCommit();
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "unknown");
        }
        return new ResultsTable.Environment(commit, System.getProperty("java.version"), host);
    }

    private static String gitCommit() {
        try {
            var src = ScaleExperiment.class.getProtectionDomain().getCodeSource();
            if (src == null) return "unknown";
            Path dir = Path.of(src.getLocation().toURI());
            while (dir != null && !Files.exists(dir.resolve(".git"))) dir = dir.getParent();
            if (dir == null) return "unknown";
            String head = git(dir, "rev-parse", "--short=12", "HEAD");
            if (head.isEmpty()) return "unknown";
            return git(dir, "status", "--porcelain", "--untracked-files=no").isEmpty() ? head : head + "-dirty";
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) return "";
        return text;
    }
}
