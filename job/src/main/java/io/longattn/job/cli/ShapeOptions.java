package io.longattn.job.cli;

import io.longattn.job.UserError;
import picocli.CommandLine.Option;

/** The shape flags of gen, plan and bench kernel: Q [seq, heads, dim], K/V [kv-seq, kv-heads, dim | v-dim]. */
final class ShapeOptions {
    // not required by picocli: plan takes --lengths or --cu-seqlens-q instead (check() asks for it otherwise)
    @Option(names = "--seq", paramLabel = "N", description = "Query sequence length.")
    int seq;
    @Option(names = "--kv-seq", paramLabel = "N", description = "Key/value sequence length (default: --seq).")
    Integer kvSeq;
    @Option(names = "--heads", required = true, paramLabel = "H", description = "Query heads.")
    int heads;
    @Option(names = "--kv-heads", paramLabel = "G", description = "Key/value heads (default: --heads).")
    Integer kvHeads;
    @Option(names = "--dim", required = true, paramLabel = "D", description = "Head dimension of Q and K.")
    int dim;
    @Option(names = "--v-dim", paramLabel = "DV", description = "Head dimension of V (default: --dim).")
    Integer vDim;

    static ShapeOptions of(int seq, int kvSeq, int heads, int kvHeads, int dim, int vDim) {
        ShapeOptions s = new ShapeOptions();
        s.seq = seq;
        s.kvSeq = kvSeq;
        s.heads = heads;
        s.kvHeads = kvHeads;
        s.dim = dim;
        s.vDim = vDim;
        return s;
    }

    int sk() {
        return kvSeq == null ? seq : kvSeq;
    }

    int hkv() {
        return kvHeads == null ? heads : kvHeads;
    }

    int dv() {
        return vDim == null ? dim : vDim;
    }

    /** Every size positive and heads a multiple of kv heads, or a UserError naming the flag. */
    void check() {
        if (seq == 0) throw new UserError("--seq", "is missing", "the query sequence length, an integer > 0");
        positive("--seq", seq);
        positive("--kv-seq", sk());
        checkHeads();
    }

    /** Heads and dimensions only (plan of many sequences: their lengths come from elsewhere). */
    void checkHeads() {
        positive("--heads", heads);
        positive("--kv-heads", hkv());
        positive("--dim", dim);
        positive("--v-dim", dv());
        for (String[] f : new String[][]{{"--seq", String.valueOf(seq)}, {"--kv-seq", String.valueOf(sk())}}) {
            if (Integer.parseInt(f[1]) > io.longattn.job.JobLauncher.MAX_SEQUENCE) {
                throw new UserError(f[0], f[1] + " tokens is more than a job can plan",
                        "at most " + io.longattn.job.JobLauncher.MAX_SEQUENCE + " tokens (2^30)");
            }
        }
        if (heads % hkv() != 0) throw new UserError("--kv-heads", hkv() + " does not divide --heads " + heads, "a divisor of " + heads);
    }

    private static void positive(String flag, int v) {
        if (v <= 0) throw new UserError(flag, v + " is not positive", "an integer > 0");
    }
}
