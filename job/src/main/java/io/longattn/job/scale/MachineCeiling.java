package io.longattn.job.scale;

import io.longattn.kernels.bench.PeakProbe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The efficiency this machine's cores allow a job that does nothing but compute: the FMA peak per busy core
 * with a point's threads (executors x cores) all busy at once, against the baseline point's. Cores that share
 * a power budget, a hypervisor's scheduling or memory bandwidth slow down when their neighbours work, so a
 * perfectly compute-bound job does not reach 1.0 either; a strong efficiency means something only beside
 * this ceiling. Measured before the cluster starts, in a JVM of its own with the drivers' flags.
 *
 * @param coresPerExecutor the cores of each executor: a point of N executors keeps N x C threads busy
 * @param probes           the probes, fewest threads (the baseline point's) first; empty when not measured
 * @param missing          why there are no probes, or null when there are
 */
record MachineCeiling(int coresPerExecutor, List<Probe> probes, String missing) {
    static final String FILE = "probe.csv", LOG = "probe.log";
    static final List<String> COLUMNS = List.of("threads", "gflops", "per_core", "ceiling");
    /** Samples per thread count, each about SAMPLE_SECONDS; their median is the count's figure. */
    static final int ROUNDS = 5;
    static final double SAMPLE_SECONDS = 0.2;
    private static final long TIMEOUT_S = 300;
    private static final Pattern LINE = Pattern.compile("probe (\\d+) (\\S+)");

    /** One thread count's FMA peak: GFLOP/s of all its threads together. */
    record Probe(int threads, double gflops) {
        double perCore() {
            return gflops / threads;
        }
    }

    MachineCeiling {
        probes = List.copyOf(probes);
    }

    static MachineCeiling notMeasured(int coresPerExecutor, String why) {
        return new MachineCeiling(coresPerExecutor, List.of(), why);
    }

    boolean measured() {
        return missing == null;
    }

    /** Efficiency a perfectly compute-bound job reaches at a point: per-core peak there over per-core peak at the baseline. */
    static double ceiling(Probe at, Probe baseline) {
        return at.perCore() / baseline.perCore();
    }

    /** The ceiling at a point of N executors; NaN when not measured or not probed at that point. */
    double atExecutors(int executors) {
        int threads = executors * coresPerExecutor;
        for (Probe p : probes) {
            if (p.threads() == threads) return ceiling(p, probes.get(0));
        }
        return Double.NaN;
    }

    /** Why an experiment measures no ceiling (--no-probe, or a --master whose executors run elsewhere), or null. */
    static String skipped(ScaleRequest req) {
        if (!req.probe()) return "--no-probe";
        if (req.master() != null) {
            return "the executors run on --master " + req.master() + ", whose cores a probe on this machine says nothing about";
        }
        return null;
    }

    /** Thread counts to probe: each point's executors x cores, the baseline's first. */
    static List<Integer> threadCounts(ScaleRequest req) {
        return req.executors().stream().map(n -> n * req.coresPerExecutor()).distinct().sorted().toList();
    }

    /**
     * The experiment's ceiling: skipped (see {@link #skipped}), or measured and written to DIR/probe.csv. Files an
     * earlier experiment in the folder left go first, since they would not describe this one.
     */
    static MachineCeiling probe(ScaleRequest req, JvmLaunch jvm) {
        String skip = skipped(req);
        try {
            Files.deleteIfExists(req.out().resolve(FILE));
            Files.deleteIfExists(req.out().resolve(LOG));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (skip != null) return notMeasured(req.coresPerExecutor(), skip);
        MachineCeiling c = measure(req, jvm);
        if (c.measured()) ResultsTable.writeAtomically(req.out().resolve(FILE), c.csv());
        return c;
    }

    /**
     * Runs the probe in a child JVM for the request's thread counts, its output into DIR/probe.log; a probe that
     * fails gives a ceiling not measured, with the reason, since the points' own measurements do not need it.
     */
    private static MachineCeiling measure(ScaleRequest req, JvmLaunch jvm) {
        List<Integer> threads = threadCounts(req);
        List<String> cmd = jvm.command(List.of(), MachineCeiling.class.getName());
        cmd.add(String.valueOf(ROUNDS));
        cmd.add(String.valueOf(SAMPLE_SECONDS));
        for (int t : threads) cmd.add(String.valueOf(t));
        Path log = req.out().resolve(LOG);
        int cores = req.coresPerExecutor();
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            return notMeasured(cores, "the probe JVM did not start (" + e.getMessage() + ")");
        }
        ChildProcesses.add(p);
        try {
            if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
                return notMeasured(cores, log + ": the probe did not end within " + TIMEOUT_S + " s");
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                return notMeasured(cores, log + ": the probe ended with exit " + p.exitValue() + " (" + lastLine(output) + ")");
            }
            return parse(cores, threads, output);
        } catch (IOException e) {
            return notMeasured(cores, log + ": unreadable (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return notMeasured(cores, "interrupted while the probe ran");
        } finally {
            ChildProcesses.end(p, 5);
        }
    }

    /** The child's "probe THREADS GFLOPS" lines (the JVM may add warnings around them), one per thread count asked for. */
    static MachineCeiling parse(int coresPerExecutor, List<Integer> threads, String output) {
        TreeMap<Integer, Double> got = new TreeMap<>();
        for (String line : output.split("\n")) {
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) continue;
            try {
                got.put(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)));
            } catch (NumberFormatException e) {
                return notMeasured(coresPerExecutor, "the probe wrote '" + line.strip() + "', expected 'probe THREADS GFLOPS'");
            }
        }
        List<Probe> probes = new ArrayList<>();
        for (int t : threads) {
            Double g = got.get(t);
            if (g == null || !Double.isFinite(g) || g <= 0) {
                return notMeasured(coresPerExecutor, "the probe gave " + (g == null ? "no figure" : "GFLOP/s " + g) + " for "
                        + t + " threads, expected a positive one (last line: " + lastLine(output) + ")");
            }
            probes.add(new Probe(t, g));
        }
        return new MachineCeiling(coresPerExecutor, probes, null);
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines.length == 0 || lines[lines.length - 1].isBlank() ? "no output" : lines[lines.length - 1].strip();
    }

    /** probe.csv: COLUMNS, one row per thread count. */
    String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (Probe p : probes) {
            sb.append(p.threads()).append(',').append(ResultsTable.fixed(p.gflops(), 2)).append(',')
                    .append(ResultsTable.fixed(p.perCore(), 3)).append(',')
                    .append(ResultsTable.fixed(ceiling(p, probes.get(0)), 4)).append('\n');
        }
        return sb.toString();
    }

    /** The progress line after the probe. */
    String line(Path dir) {
        if (!measured()) return "longattn: warning: no machine ceiling: " + missing;
        return "longattn: scale machine ceiling | FMA probe at " + probes.stream().map(p -> String.valueOf(p.threads()))
                .collect(Collectors.joining(", ")) + " threads: " + probes.stream()
                .map(p -> String.format(Locale.ROOT, "%.1f", p.gflops())).collect(Collectors.joining(", "))
                + " GFLOP/s | ceiling " + probes.stream().map(p -> String.format(Locale.ROOT, "%.2f", ceiling(p, probes.get(0))))
                .collect(Collectors.joining(", ")) + " | " + dir.resolve(FILE);
    }

    /**
     * The probe JVM: ROUNDS SECONDS THREADS...; one line "probe THREADS GFLOPS" per thread count, the median of its
     * samples. The rounds go over every count in turn, so a clock that drifts (turbo, a neighbour) moves all alike.
     */
    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        double seconds = Double.parseDouble(args[1]);
        int counts = args.length - 2;
        double[][] samples = new double[counts][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < counts; i++) samples[i][r] = PeakProbe.samples(Integer.parseInt(args[2 + i]), 1, seconds)[0];
        }
        for (int i = 0; i < counts; i++) {
            System.out.println("probe " + args[2 + i] + " " + ResultsTable.median(samples[i]));
        }
    }
}
