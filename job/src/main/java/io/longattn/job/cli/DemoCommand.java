package io.longattn.job.cli;

import io.longattn.job.JobLauncher;
import io.longattn.job.JobRequest;
import io.longattn.job.UserError;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.io.TensorReader;
import io.longattn.kernels.AttentionSpec;
import io.longattn.job.report.JobSummary;
import io.longattn.job.settings.Settings;
import io.longattn.job.Plural;
import io.longattn.kernels.Float64Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * bin/longattn demo: generate a sequence whose score matrix could not be stored, run the job on it,
 * check sampled rows against the float64 reference and print a one-screen summary. Its directory is
 * its own: by default one per user under $TMPDIR; a later demo replaces the files an earlier one left
 * there (it finds its marker file), and a non-empty directory a demo did not make is refused unless
 * --overwrite says its q, k, v, o and lse files may be replaced.
 */
@Command(name = "demo", description = "Generate, run and verify a long causal attention job (default 65,536 tokens).")
final class DemoCommand implements Callable<Integer>, SettingFlags.Holder {
    /** Marks a directory as a demo's, so a later demo may replace the files in it. */
    static final String MARKER = ".longattn-demo";

    @Option(names = "--seq", paramLabel = "N", description = "Sequence length (default 65536).")
    int seq = 65536;
    @Option(names = "--heads", paramLabel = "H", description = "Heads (default 2).")
    int heads = 2;
    @Option(names = "--dim", paramLabel = "D", description = "Head dimension (default 64).")
    int dim = 64;
    @Option(names = "--no-causal", description = "Full (non-causal) attention instead of causal.")
    boolean noCausal;
    @Option(names = "--samples", paramLabel = "N", description = "Rows checked against float64 (default 16).")
    int samples = 16;
    @Option(names = "--dir", paramLabel = "DIR", description = "Working directory (default: $TMPDIR/longattn-demo-$USER,"
            + " TMPDIR defaulting to /tmp). A non-empty directory that no demo made is refused without --overwrite.")
    String dir = defaultDir(System.getenv(), System.getProperty("java.io.tmpdir"), System.getProperty("user.name")).toString();
    @Option(names = "--overwrite", description = "Replace q, k, v, o and lse files in a --dir that no demo made.")
    boolean overwrite;
    @Mixin
    JobOptions job = new JobOptions();

    @Override
    public SettingFlags settingFlags() {
        return job.settings;
    }

    /** $TMPDIR (the JVM does not read it; bin/longattn passes it as java.io.tmpdir too), else java.io.tmpdir, per user. */
    static Path defaultDir(Map<String, String> env, String javaTmp, String user) {
        String tmp = env.get("TMPDIR");
        if (tmp == null || tmp.isBlank()) tmp = javaTmp;
        return Path.of(tmp, "longattn-demo-" + user.replaceAll("[^A-Za-z0-9._-]", "_"));
    }

    /** Creates the directory or checks that the demo may use it, and marks it as a demo's. */
    static void claim(Path dir, boolean overwrite) {
        try {
            if (Files.isDirectory(dir) && !Files.exists(dir.resolve(MARKER)) && !overwrite) {
                try (Stream<Path> entries = Files.list(dir)) {
                    if (entries.findAny().isPresent()) {
                        throw new UserError(dir.toString(), "is not empty and was not made by longattn demo",
                                "an empty or new --dir, or --overwrite to replace the q, k, v, o and lse files in it");
                    }
                }
            }
            Files.createDirectories(dir);
            if (!Files.exists(dir.resolve(MARKER))) Files.createFile(dir.resolve(MARKER));
        } catch (IOException e) {
            throw new UserError(dir.toString(), "cannot be used (" + e + ")", "a writable directory for --dir");
        }
    }

    /** Largest |O - reference| accepted, relative to max |V| (see the kernel tests for the reasoning). */
    static final double TOLERANCE = 1e-4;

    @Override
    public Integer call() {
        claim(Path.of(dir), overwrite);
        GenCommand gen = new GenCommand();
        gen.shape = ShapeOptions.of(seq, seq, heads, heads, dim, dim);
        gen.out = dir;
        gen.overwrite = true;
        gen.call();
        String out = Path.of(dir, "o.npy").toString(), lse = Path.of(dir, "lse.npy").toString();
        JobRequest.Inputs in = new JobRequest.Inputs(Path.of(dir, "q.npy").toString(), Path.of(dir, "k.npy").toString(),
                Path.of(dir, "v.npy").toString(), out, lse, true, false);
        JobRequest request = new JobRequest(in, new JobRequest.Attention(!noCausal, -1, -1, null, null), job.conf(),
                job.master, job.report);
        JobSummary s = JobLauncher.launch(request, System.err);
        double maxErr = verify(s.job().spec(), in, out);
        AttentionSpec spec = s.job().spec();
        double scoreBytes = 4.0 * spec.sq() * spec.sk() * spec.hq();
        PrintLines p = new PrintLines();
        p.line("LongAttn demo: exact softmax attention, %s", spec.describe());
        p.line("  score matrix it never stores: %,d x %,d x %s x 4 B = %.1f GiB", spec.sq(), spec.sk(), Plural.of(spec.hq(), "head"), scoreBytes / (1L << 30));
        p.line("  per-task working set:          %.2f MiB (q-chunk %d, kv-chunk %d)", s.job().plan().workingSetBytes() / 1048576.0,
                s.job().plan().queryChunk(), s.job().plan().kvChunk());
        p.line("  kernel %s (%s)", s.job().kernel().request(), s.job().kernel().reason());
        p.line("  strategy %s (%s)", s.job().strategy().strategy().label(), s.job().strategy().reason());
        p.line("  %s on %s; %.2f s wall; %.1f GFLOP/s (unmasked pairs only)", Plural.of(s.units(), "unit"),
                Plural.of(s.job().partitions(), "partition"), s.seconds(), s.gflops());
        if (Settings.TIMELINE.get(request.conf())) p.line("  timeline: %s", s.timeline().describe());
        p.line("  check: %s x %s against float64: max |error| = %.2e (tolerance %.0e x max|V|) -> %s",
                Plural.of(samples, "sampled row"), Plural.of(heads, "head"), maxErr, TOLERANCE, maxErr <= TOLERANCE * maxAbsV ? "OK" : "FAILED");
        p.line("  output: %s and %s", out, lse);
        System.out.print(p);
        return maxErr <= TOLERANCE * maxAbsV ? 0 : 1;
    }

    private double maxAbsV;

    /** Compares sampled rows of O (first, last and spread between) with the float64 reference. */
    double verify(AttentionSpec spec, JobRequest.Inputs in, String out) {
        float[] q = TensorFiles.readAll(in.q(), "q"), k = TensorFiles.readAll(in.k(), "k"), v = TensorFiles.readAll(in.v(), "v");
        for (float x : v) maxAbsV = Math.max(maxAbsV, Math.abs(x));
        TensorHeader oh = TensorFiles.inspect(out, "o");
        TreeSet<Integer> rows = new TreeSet<>();
        rows.add(0);
        rows.add(spec.sq() - 1);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        while (rows.size() < Math.min(samples, spec.sq())) rows.add(rnd.nextInt(spec.sq()));
        double maxErr = 0;
        double[] ref = new double[spec.dv()];
        float[] got = new float[spec.hq() * spec.dv()];
        try (TensorReader r = TensorFiles.open(oh)) {
            for (int i : rows) {
                r.readRows(i, 1, got, 0);
                for (int h = 0; h < spec.hq(); h++) {
                    Float64Reference.row(spec, q, k, v, i, h, ref);
                    for (int c = 0; c < spec.dv(); c++) maxErr = Math.max(maxErr, Math.abs(got[h * spec.dv() + c] - ref[c]));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return maxErr;
    }

    private static final class PrintLines {
        private final StringBuilder sb = new StringBuilder();

        void line(String fmt, Object... args) {
            sb.append(String.format(Locale.ROOT, fmt, args)).append('\n');
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }
}
