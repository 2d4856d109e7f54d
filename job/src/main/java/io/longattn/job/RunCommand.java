package io.longattn.job;

import io.longattn.job.io.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** bin/longattn run: attention over Q/K/V files into an output file, as a Spark job. */
@Command(name = "run", description = "Compute O = softmax(Q K^T * scale + mask) V over .npy or Arrow files.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--q", required = true, paramLabel = "FILE", description = "Queries [Sq, Hq, D] (.npy or .arrow).")
    String q;

    @Option(names = "--k", required = true, paramLabel = "FILE", description = "Keys [Sk, Hkv, D].")
    String k;

    @Option(names = "--v", required = true, paramLabel = "FILE", description = "Values [Sk, Hkv, Dv].")
    String v;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output O [Sq, Hq, Dv]; format from the extension.")
    String out;

    @Option(names = "--lse", paramLabel = "FILE", description = "Also write LSE [Sq, Hq] (natural log).")
    String lse;

    @Option(names = "--causal", description = "Causal mask, bottom-right aligned when Sq != Sk.")
    boolean causal;

    @Option(names = "--window", paramLabel = "LEFT,RIGHT", description = "Sliding window; -1 = unbounded on that side.")
    String window;

    @Option(names = "--scale", paramLabel = "X", description = "Score scale (default 1/sqrt(D)).")
    Double scale;

    @Option(names = "--softcap", paramLabel = "C", description = "Soft-cap scores: C * tanh(s / C).")
    Double softcap;

    @Option(names = "--overwrite", description = "Replace existing output files.")
    boolean overwrite;

    @Option(names = "--allow-nonfinite", description = "Do not refuse NaN or Inf in Q, K or V.")
    boolean allowNonFinite;

    @Mixin
    JobOptions job;

    @Override
    public Integer call() {
        Inputs inputs = new Inputs(q, k, v, out, lse, overwrite, causal, window, scale, softcap, allowNonFinite);
        JobSummary s = JobLauncher.launch(inputs, job, System.err);
        System.err.println(s.oneLine());
        return 0;
    }

    /** The validated math and file arguments of a run. */
    record Inputs(String q, String k, String v, String out, String lse, boolean overwrite, boolean causal,
                  String window, Double scale, Double softcap, boolean allowNonFinite) {
        int[] windowBounds() {
            if (window == null) return new int[]{-1, -1};
            String[] parts = window.split(",", -1);
            int[] w = new int[2];
            try {
                if (parts.length != 2) throw new NumberFormatException();
                w[0] = Integer.parseInt(parts[0].trim());
                w[1] = Integer.parseInt(parts[1].trim());
            } catch (NumberFormatException e) {
                throw new UserError("--window", "'" + window + "' is not two integers", "LEFT,RIGHT such as 256,0 (-1 = unbounded)");
            }
            if (w[0] < -1 || w[1] < -1) {
                throw new UserError("--window", "bound " + Math.min(w[0], w[1]) + " is below -1", "each bound >= -1 (-1 = unbounded)");
            }
            return w;
        }
    }
}
