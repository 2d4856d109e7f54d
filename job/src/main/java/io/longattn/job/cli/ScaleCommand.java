package io.longattn.job.cli;

import io.longattn.job.UserError;
import io.longattn.job.plan.JobPlanner;
import io.longattn.job.scale.ScaleExperiment;
import io.longattn.job.scale.ScaleMode;
import io.longattn.job.scale.ScaleRequest;
import io.longattn.job.settings.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** bin/longattn scale: one problem over 1..N executors (strong) or a problem growing with N (weak). */
@Command(name = "scale", description = "Run a problem over several executor counts (strong or weak scaling) on a standalone"
        + " cluster started here or on --master; writes DIR/results.csv, time and efficiency plots and DIR/summary.md.")
final class ScaleCommand implements Callable<Integer>, SettingFlags.Holder {
    @Option(names = "--executors", required = true, paramLabel = "N,N,...", description = "Executor counts, e.g. 1,2,4,8,16.")
    String executors;

    @Option(names = "--mode", paramLabel = "strong|weak", description = "strong: the same problem at every point (default);"
            + " weak: the work per executor fixed (lengths grow with sqrt(N), or with N under a window bounded on both sides).")
    String mode = "strong";

    @Option(names = "--cores-per-executor", paramLabel = "C", description = "Cores of each executor (default 1).")
    int cores = 1;

    @Mixin
    ShapeOptions shape = new ShapeOptions();

    @Mixin
    MaskOptions mask = new MaskOptions();

    @Mixin
    ScoreOptions score = new ScoreOptions();

    @Option(names = "--reps", paramLabel = "R", description = "Runs per point (default 1); efficiency from the median wall.")
    int reps = 1;

    @Option(names = "--master", paramLabel = "URL", description = "A cluster to run on (standalone, YARN, Kubernetes); default:"
            + " a standalone Master and Workers started on 127.0.0.1 for the experiment and stopped after it.")
    String master;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Experiment folder: inputs (reused), runs,"
            + " results.csv, time.png, efficiency.png, summary.md.")
    String out;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Spark or LongAttn setting for every point; repeatable.")
    List<String> conf = new ArrayList<>();

    @Option(names = "--no-probe", description = "Skip the FMA probe that measures this machine's efficiency ceiling"
            + " (DIR/probe.csv) before the points; it is skipped anyway with --master.")
    boolean noProbe;

    @Option(names = "--verbose", description = "Show stack traces for user errors too.")
    boolean verbose;

    /** The setting flags and --conf, parsed as run parses them. */
    private final JobOptions job = new JobOptions();

    @Override
    public SettingFlags settingFlags() {
        return job.settings;
    }

    @Override
    public Integer call() {
        shape.check();
        ScaleMode m = ScaleMode.parse(mode);
        List<Integer> counts = ScaleRequest.parseExecutors(executors);
        job.conf = conf;
        Map<String, String> settings = job.conf();
        Settings.check(settings);
        int threads = Settings.THREADS.get(settings);
        String kernel = Settings.KERNEL.get(settings);
        // a cluster given by URL may have what this machine lacks (a GPU): its kernel is only planned here
        if (master == null) JobPlanner.pickKernel(kernel, threads);
        else JobPlanner.planKernel(kernel, threads);
        List<String> runFlags = new ArrayList<>(score.flags());
        if (verbose) runFlags.add("--verbose");
        ScaleRequest request = new ScaleRequest(m, counts, cores,
                new ScaleRequest.Shape(shape.seq, shape.sk(), shape.heads, shape.hkv(), shape.dim, shape.dv()),
                mask.attention(score.scale, score.softcap), reps, master, Path.of(out), settings, runFlags,
                !noProbe);
        int most = counts.get(counts.size() - 1);
        ScaleRequest.Shape largest = request.shapeAt(most);
        if (Math.max(largest.seq(), largest.kvSeq()) > 1 << 30) {
            throw new UserError("--seq", "grows to " + Math.max(largest.seq(), largest.kvSeq()) + " tokens at " + most
                    + " executors", "a length that stays at most 2^30 tokens at every point");
        }
        ScaleExperiment.Outcome outcome = ScaleExperiment.run(request, ScaleCommand::generate, System.err);
        System.err.println(outcome.status() == 0 ? outcome.line() : "longattn: " + outcome.line());
        return outcome.status();
    }

    /** The inputs of one size: `longattn gen` with its default seed, so a size always gets the same files. */
    static void generate(Path dir, ScaleRequest.Shape s) {
        GenCommand gen = new GenCommand();
        gen.shape = ShapeOptions.of(s.seq(), s.kvSeq(), s.heads(), s.kvHeads(), s.dim(), s.vDim());
        gen.out = dir.toString();
        gen.overwrite = true;
        gen.call();
    }
}
