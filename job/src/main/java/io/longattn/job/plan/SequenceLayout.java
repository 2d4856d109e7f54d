package io.longattn.job.plan;

import io.longattn.job.UserError;
import io.longattn.job.io.CuSeqlens;
import io.longattn.job.io.TensorHeader;
import io.longattn.kernels.AttentionSpec;
import io.longattn.job.Plural;
import io.longattn.partitioner.Sequences;

import java.util.Locale;

/**
 * Which sequences a job's inputs hold: one (rank-3 Q/K/V), a batch (rank-4 [B, S, H, D] Q/K/V, all with
 * the same B), or packed variable-length sequences (rank-3 Q/K/V with --cu-seqlens-q, and --cu-seqlens-k
 * when the keys are packed differently).
 */
public final class SequenceLayout {
    private SequenceLayout() {
    }

    public static final String CU_Q = "--cu-seqlens-q";
    public static final String CU_K = "--cu-seqlens-k";

    /** @throws UserError naming the flag or file whose layout does not fit the others */
    public static Sequences of(TensorHeader q, TensorHeader k, TensorHeader v, String cuSeqlensQ, String cuSeqlensK) {
        if (cuSeqlensQ == null && cuSeqlensK != null) {
            throw new UserError(CU_K, "is given without " + CU_Q, CU_Q + " too (only " + CU_Q + " means the same offsets for K/V)");
        }
        if (cuSeqlensQ != null) {
            for (TensorHeader h : new TensorHeader[]{q, k, v}) {
                if (h.batch() > 0) {
                    throw new UserError(h.path(), "has rank-4 shape " + h.shapeString() + " beside " + CU_Q,
                            "rank-3 packed rows [total, heads, head_dim] with cu_seqlens (or a batch without them)");
                }
            }
            int[] cuQ = CuSeqlens.read(CU_Q, cuSeqlensQ, q.seq(), q.path());
            int[] cuK = CuSeqlens.read(cuSeqlensK == null ? CU_Q : CU_K, cuSeqlensK == null ? cuSeqlensQ : cuSeqlensK,
                    k.seq(), k.path());
            if (cuK.length != cuQ.length) {
                throw new UserError(cuSeqlensK, "has " + (cuK.length - 1) + " sequences, " + cuSeqlensQ + " has " + (cuQ.length - 1),
                        "the same number of sequences");
            }
            return new Sequences(cuQ, cuK);
        }
        if (q.batch() == 0 && k.batch() == 0 && v.batch() == 0) return Sequences.single(q.seq(), k.seq());
        for (TensorHeader h : new TensorHeader[]{q, k, v}) {
            if (h.batch() != q.batch()) {
                throw new UserError(h.path(), "has shape " + h.shapeString() + " but " + q.path() + " has " + q.shapeString(),
                        q.batch() > 0 ? "a rank-4 batch of " + q.batch() + " sequences" : "rank 3 like " + q.path());
            }
        }
        return Sequences.batch(q.batch(), q.seq() / q.batch(), k.seq() / k.batch());
    }

    /** "1001 sequences: 2,113,536 queries, ... causal per sequence": the template spec with the sequences' lengths. */
    public static String describe(AttentionSpec spec, Sequences s) {
        return String.format(Locale.ROOT, "%s: %,d queries, %,d keys in all (longest %,d x %,d), Hq=%d, Hkv=%d, D=%d, Dv=%d%s",
                Plural.of(s.count(), "sequence"), s.totalQ(), s.totalK(), s.maxSq(), s.maxSk(), spec.hq(), spec.hkv(), spec.d(),
                spec.dv(), spec.mask().unmasked() ? "" : ", " + (spec.causal() && spec.windowLeft() < 0 ? "causal" : "window ("
                        + spec.windowLeft() + "," + (spec.causal() ? 0 : spec.windowRight()) + ")") + " per sequence");
    }
}
