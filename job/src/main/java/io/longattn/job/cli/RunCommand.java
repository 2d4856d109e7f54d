package io.longattn.job.cli;

import io.longattn.job.JobLauncher;
import io.longattn.job.JobRequest;
import io.longattn.job.report.JobSummary;
import io.longattn.job.settings.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** bin/longattn run: attention over Q/K/V files into an output file, as a Spark job. */
@Command(name = "run", description = "Compute O = softmax(Q K^T * scale + mask) V over .npy or Arrow files.")
final class RunCommand implements Callable<Integer>, SettingFlags.Holder {
    @Option(names = "--q", required = true, paramLabel = "FILE", description = "Queries [Sq, Hq, D] (.npy or .arrow), a batch [B, Sq, Hq, D] (.npy), packed rows with --cu-seqlens-q,"
            + " or a Parquet dataset (a .parquet file or a directory of parts with seq_id and q columns).")
    String q;

    @Option(names = "--k", required = true, paramLabel = "FILE", description = "Keys [Sk, Hkv, D].")
    String k;

    @Option(names = "--v", required = true, paramLabel = "FILE", description = "Values [Sk, Hkv, Dv].")
    String v;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output O [Sq, Hq, Dv]; format from the extension.")
    String out;

    @Option(names = "--lse", paramLabel = "FILE", description = "Also write LSE [Sq, Hq] (natural log).")
    String lse;

    @Option(names = "--cu-seqlens-q", paramLabel = "FILE", description = "Packed variable-length sequences: B + 1 offsets"
            + " (int32 or int64 .npy, FlashAttention's cu_seqlens_q) into the rows of a rank-3 Q; masks apply per sequence.")
    String cuSeqlensQ;

    @Option(names = "--cu-seqlens-k", paramLabel = "FILE", description = "Offsets into K/V (default: those of --cu-seqlens-q).")
    String cuSeqlensK;

    @Option(names = "--heads", paramLabel = "H", description = "Parquet inputs without longattn.heads metadata: query heads"
            + " (head_dim is the values per token / H).")
    int heads;

    @Option(names = "--kv-heads", paramLabel = "G", description = "Parquet inputs: kv heads (default: the metadata, else --heads).")
    int kvHeads;

    @Mixin
    MaskOptions mask = new MaskOptions();

    @Mixin
    ScoreOptions score = new ScoreOptions();

    @Option(names = "--overwrite", description = "Replace existing output files.")
    boolean overwrite;

    @Option(names = "--allow-nonfinite", description = "Do not refuse NaN or Inf in Q, K or V.")
    boolean allowNonFinite;

    @Mixin
    JobOptions job = new JobOptions();

    @Override
    public SettingFlags settingFlags() {
        return job.settings;
    }

    @Override
    public Integer call() {
        JobRequest request = new JobRequest(new JobRequest.Inputs(q, k, v, out, lse, overwrite, allowNonFinite, cuSeqlensQ, cuSeqlensK, heads, kvHeads),
                mask.attention(score.scale, score.softcap), job.conf(), job.master, job.report);
        JobSummary s = JobLauncher.launch(request, System.err);
        System.err.println(Settings.TIMELINE.get(request.conf()) ? s.oneLineWithTimeline() : s.oneLine());
        return 0;
    }
}
