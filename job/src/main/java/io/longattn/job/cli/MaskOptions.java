package io.longattn.job.cli;

import io.longattn.job.JobRequest;
import io.longattn.job.UserError;
import picocli.CommandLine.Option;

/** --causal and --window, for run, plan and bench kernel. */
final class MaskOptions {
    @Option(names = "--causal", description = "Causal mask, bottom-right aligned when Sq != Sk (window -1,0).")
    boolean causal;

    @Option(names = "--window", paramLabel = "LEFT,RIGHT", description = "Sliding window: key j allowed iff"
            + " i'-LEFT <= j <= i'+RIGHT (i' = i + Sk - Sq); -1 = unbounded on that side.")
    String window;

    /** The options with a score scale and soft cap (null: the defaults). */
    JobRequest.Attention attention(Double scale, Double softcap) {
        int left = -1, right = -1;
        if (window != null) {
            String[] parts = window.split(",", -1);
            try {
                if (parts.length != 2) throw new NumberFormatException();
                left = Integer.parseInt(parts[0].trim());
                right = Integer.parseInt(parts[1].trim());
            } catch (NumberFormatException e) {
                throw new UserError("--window", "'" + window + "' is not two integers", "LEFT,RIGHT such as 256,0 (-1 = unbounded)");
            }
        }
        return new JobRequest.Attention(causal, left, right, scale, softcap);
    }
}
