package io.longattn.job.parquet;

import io.longattn.job.JobRequest;
import io.longattn.job.UserError;
import io.longattn.job.io.TensorFormat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The Parquet layout of a job's tensors, a contract: a {@code seq_id} column (int64), a {@code q}, {@code k}
 * or {@code v} column (a list of float32 with heads * head_dim values per token), an optional {@code pos}
 * column ordering a sequence's rows, and the heads from key-value metadata {@code longattn.heads} /
 * {@code longattn.head_dim} or the --heads / --kv-heads flags. The output holds {@code seq_id}, {@code pos},
 * {@code o} and, on request, {@code lse}. No Spark here: the launcher asks it before Spark SQL is loaded.
 */
public final class ParquetLayout {
    private ParquetLayout() {
    }

    public static final String SEQ_ID = "seq_id";
    public static final String POS = "pos";
    public static final String O = "o";
    public static final String LSE = "lse";
    public static final String HEADS_KEY = "longattn.heads";
    public static final String HEAD_DIM_KEY = "longattn.head_dim";

    /** A .parquet file or a directory of parts (local or on any Hadoop file system). */
    public static boolean isParquet(String path) {
        if (path == null) return false;
        String name = TensorFormat.fileName(path).toLowerCase(Locale.ROOT);
        if (name.endsWith(".parquet") || path.endsWith("/")) return true;
        if (name.endsWith(".npy") || name.endsWith(".arrow") || name.endsWith(".feather") || name.endsWith(".ipc")) return false;
        try {
            return !path.contains(":/") && Files.isDirectory(Path.of(path));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Whether a request takes the Parquet path; checks that it does so whole (every input and the output
     * Parquet, no cu_seqlens files) and that --heads / --kv-heads come only with Parquet inputs.
     * @throws UserError naming the flag that does not fit
     */
    public static boolean applies(JobRequest.Inputs in) {
        String[][] files = {{"--q", in.q()}, {"--k", in.k()}, {"--v", in.v()}, {"--out", in.out()}};
        String parquet = null;
        for (String[] f : files) if (isParquet(f[1])) parquet = parquet == null ? f[0] : parquet;
        if (parquet == null) {
            if (in.heads() > 0 || in.kvHeads() > 0) {
                throw new UserError(in.heads() > 0 ? "--heads" : "--kv-heads", "is given for inputs that are not Parquet",
                        "no --heads or --kv-heads: .npy and Arrow files carry their heads");
            }
            return false;
        }
        for (String[] f : files) {
            if (!isParquet(f[1])) {
                throw new UserError(f[0], f[1] + " is not Parquet but " + parquet + " is",
                        "Parquet for --q, --k, --v and --out together (a .parquet file or a directory of parts)");
            }
        }
        if (in.cuSeqlensQ() != null || in.cuSeqlensK() != null) {
            throw new UserError(in.cuSeqlensQ() != null ? "--cu-seqlens-q" : "--cu-seqlens-k", "is given with Parquet inputs",
                    "no cu_seqlens: the " + SEQ_ID + " column says which rows form a sequence");
        }
        if (in.lse() != null && !in.lse().equals(in.out())) {
            throw new UserError("--lse", in.lse() + " differs from the Parquet --out " + in.out(),
                    "--lse naming the --out dataset: LSE is its column " + LSE);
        }
        return true;
    }
}
