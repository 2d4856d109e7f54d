package io.longattn.job.scale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * The runs of an experiment and what follows from them. Definitions (README, "Scaling experiments"):
 * <ul>
 * <li>compute_s: the compute tasks' durations summed;</li>
 * <li>overhead_s: wall minus the ideal compute share, compute_s / slots (slots = executors x cores / spark.task.cpus):
 *     the wall the run would have had if its task time were spread evenly over every slot and nothing ran
 *     outside the tasks;</li>
 * <li>efficiency: work per executor-second against the baseline point (the fewest executors, median wall over its
 *     repetitions): (W_N / (N T_N)) / (W_b / (N_b T_b)), W the FLOPs. With a baseline of one executor this is
 *     T1 / (N TN) in strong mode and T1 / TN in weak mode when the work grew exactly N-fold; it also corrects
 *     for the rounding of weak-scaled lengths.</li>
 * </ul>
 */
final class ResultsTable {
    static final List<String> COLUMNS = List.of("mode", "executors", "cores_per_executor", "kernel", "seq", "kv_seq", "heads",
            "kv_heads", "dim", "v_dim", "causal", "window", "rep", "wall_s", "compute_s", "overhead_s", "max_over_mean",
            "gflops", "efficiency", "output_sha256", "commit", "java", "host");

    /** Where the runs were made. */
    record Environment(String commit, String java, String host) {
    }

    /** A point's medians over its repetitions. */
    record Point(int executors, ScaleRequest.Shape shape, double wall, double compute, double overhead, double maxOverMean,
                 double gflops, double efficiency, double idealWall, List<String> hashes) {
    }

    private final ScaleRequest request;
    private final Environment env;
    private final List<ScaleRun> runs = new ArrayList<>();

    ResultsTable(ScaleRequest request, Environment env) {
        this.request = request;
        this.env = env;
    }

    void add(ScaleRun run) {
        runs.add(run);
    }

    List<ScaleRun> runs() {
        return List.copyOf(runs);
    }

    double overhead(ScaleRun r) {
        return r.wallSeconds() - r.computeSeconds() / request.slots(r.executors());
    }

    /** Efficiency of a run against the baseline point's median; NaN before the baseline has a run. */
    double efficiency(ScaleRun r) {
        return efficiency(r.executors(), r.wallSeconds(), r.flops());
    }

    private double efficiency(int n, double wall, double flops) {
        if (runs.isEmpty()) return Double.NaN;
        int nb = runs.stream().mapToInt(ScaleRun::executors).min().getAsInt();
        double tb = median(runs.stream().filter(r -> r.executors() == nb).mapToDouble(ScaleRun::wallSeconds).toArray());
        double wb = runs.stream().filter(r -> r.executors() == nb).findFirst().orElseThrow().flops();
        return (flops / (n * wall)) / (wb / (nb * tb));
    }

    /** The points so far, fewest executors first. */
    List<Point> points() {
        TreeMap<Integer, List<ScaleRun>> by = new TreeMap<>();
        for (ScaleRun r : runs) by.computeIfAbsent(r.executors(), k -> new ArrayList<>()).add(r);
        List<Point> out = new ArrayList<>();
        if (by.isEmpty()) return out;
        int nb = by.firstKey();
        double tb = median(by.get(nb).stream().mapToDouble(ScaleRun::wallSeconds).toArray());
        double wb = by.get(nb).get(0).flops();
        for (var e : by.entrySet()) {
            List<ScaleRun> rs = e.getValue();
            int n = e.getKey();
            double wall = median(rs.stream().mapToDouble(ScaleRun::wallSeconds).toArray());
            double flops = rs.get(0).flops();
            out.add(new Point(n, rs.get(0).shape(), wall, median(rs.stream().mapToDouble(ScaleRun::computeSeconds).toArray()),
                    median(rs.stream().mapToDouble(this::overhead).toArray()),
                    median(rs.stream().mapToDouble(ScaleRun::maxOverMean).toArray()),
                    median(rs.stream().mapToDouble(ScaleRun::gflops).toArray()), efficiency(n, wall, flops),
                    tb * nb / n * (flops / wb), rs.stream().map(ScaleRun::outputSha256).distinct().toList()));
        }
        return out;
    }

    static double median(double[] xs) {
        if (xs.length == 0) return Double.NaN;
        double[] s = xs.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (ScaleRun r : runs) {
            ScaleRequest.Shape s = r.shape();
            List<String> cells = List.of(request.mode().label(), String.valueOf(r.executors()),
                    String.valueOf(request.coresPerExecutor()), r.kernel(), String.valueOf(s.seq()), String.valueOf(s.kvSeq()),
                    String.valueOf(s.heads()), String.valueOf(s.kvHeads()), String.valueOf(s.dim()), String.valueOf(s.vDim()),
                    String.valueOf(request.attention().causal()), request.windowText(), String.valueOf(r.rep()),
                    fixed(r.wallSeconds(), 3), fixed(r.computeSeconds(), 3), fixed(overhead(r), 3), fixed(r.maxOverMean(), 3),
                    fixed(r.gflops(), 2), fixed(efficiency(r), 4), r.outputSha256(), env.commit(), env.java(), env.host());
            StringBuilder line = new StringBuilder();
            for (String c : cells) line.append(line.length() == 0 ? "" : ",").append(cell(c));
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    /** RFC 4180: a cell holding a comma, quote or line break is quoted (the window, "L,R"). */
    static String cell(String value) {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0) return value;
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    static String fixed(double v, int digits) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "";
    }

    /** Writes results.csv whole, under a temporary name first, so a reader never sees half a table. */
    void write(Path file) {
        writeAtomically(file, csv());
    }

    static void writeAtomically(Path file, String text) {
        try {
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
