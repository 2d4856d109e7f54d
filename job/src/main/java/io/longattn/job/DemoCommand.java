package io.longattn.job;

import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.io.TensorReader;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Float64Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * bin/longattn demo: generate a sequence whose score matrix could not be stored, run the job on it,
 * check sampled rows against the float64 reference and print a one-screen summary.
 */
@Command(name = "demo", description = "Generate, run and verify a long causal attention job (default 65,536 tokens).")
final class DemoCommand implements Callable<Integer> {
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
    @Option(names = "--dir", paramLabel = "DIR", description = "Working directory (default: <tmp>/longattn-demo).")
    String dir = Path.of(System.getProperty("java.io.tmpdir"), "longattn-demo").toString();
    @Mixin
    JobOptions job;

    /** Largest |O - reference| accepted, relative to max |V| (see the kernel tests for the reasoning). */
    static final double TOLERANCE = 1e-4;

    @Override
    public Integer call() {
        GenCommand gen = new GenCommand();
        gen.shape = ShapeOptions.of(seq, seq, heads, heads, dim, dim);
        gen.out = dir;
        gen.overwrite = true;
        gen.call();
        String out = Path.of(dir, "o.npy").toString(), lse = Path.of(dir, "lse.npy").toString();
        RunCommand.Inputs in = new RunCommand.Inputs(Path.of(dir, "q.npy").toString(), Path.of(dir, "k.npy").toString(),
                Path.of(dir, "v.npy").toString(), out, lse, true, !noCausal, null, null, null, false);
        JobSummary s = JobLauncher.launch(in, job, System.err);
        double maxErr = verify(s.request().spec(), in, out);
        AttentionSpec spec = s.request().spec();
        double scoreBytes = 4.0 * spec.sq() * spec.sk() * spec.hq();
        PrintLines p = new PrintLines();
        p.line("LongAttn demo: exact softmax attention, %s", spec.describe());
        p.line("  score matrix it never stores: %,d x %,d x %d heads x 4 B = %.1f GiB", spec.sq(), spec.sk(), spec.hq(), scoreBytes / (1L << 30));
        p.line("  per-task working set:          %.2f MiB (q-chunk %d, kv-chunk %d)", s.request().plan().workingSetBytes() / 1048576.0,
                s.request().plan().queryChunk(), s.request().plan().kvChunk());
        p.line("  kernel %s (%s)", s.request().kernel(), s.request().kernelReason());
        p.line("  strategy %s (%s)", s.request().strategy(), s.request().strategyReason());
        p.line("  %d units on %d partitions; %.2f s wall; %.1f GFLOP/s (unmasked pairs only)", s.units(), s.request().partitions(),
                s.seconds(), s.gflops());
        p.line("  check: %d sampled rows x %d heads against float64: max |error| = %.2e (tolerance %.0e x max|V|) -> %s",
                samples, heads, maxErr, TOLERANCE, maxErr <= TOLERANCE * maxAbsV ? "OK" : "FAILED");
        p.line("  output: %s and %s", out, lse);
        System.out.print(p);
        return maxErr <= TOLERANCE * maxAbsV ? 0 : 1;
    }

    private double maxAbsV;

    /** Compares sampled rows of O (first, last and spread between) with the float64 reference. */
    double verify(AttentionSpec spec, RunCommand.Inputs in, String out) {
        float[] q = readAll(in.q(), "q"), k = readAll(in.k(), "k"), v = readAll(in.v(), "v");
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

    static float[] readAll(String path, String role) {
        TensorHeader h = TensorFiles.inspect(path, role);
        float[] all = new float[Math.multiplyExact(h.seq(), h.heads() * h.dim())];
        try (TensorReader r = TensorFiles.open(h)) {
            r.readRows(0, h.seq(), all, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
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
