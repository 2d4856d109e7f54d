package io.longattn.job;

import io.longattn.job.settings.Setting;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a job is asked to do, as plain data: the files, the attention options and the settings (LongAttn's
 * spark.longattn.* keys and any other Spark configuration). The run, demo and plan commands build one from
 * their flags; a Java program builds one with {@link #builder}. {@link JobLauncher} checks it.
 *
 * @param conf   settings and Spark configuration by key; a setting's flag sets the same key
 * @param master Spark master URL, or null for what spark-submit or spark.master gave (else local[*])
 * @param report JSON report path, or null for none
 */
public record JobRequest(Inputs inputs, Attention attention, Map<String, String> conf, String master, String report) {
    public JobRequest {
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(attention, "attention");
        conf = Collections.unmodifiableMap(new LinkedHashMap<>(conf));
    }

    /**
     * The tensor files.
     *
     * @param lse            LSE output path, or null for none
     * @param overwrite      replace existing outputs
     * @param allowNonFinite accept NaN/Inf in the inputs
     * @param cuSeqlensQ     packed variable-length sequences: FlashAttention's cu_seqlens_q (.npy), or null
     * @param cuSeqlensK     cu_seqlens_k, or null for the same offsets as the queries
     * @param heads          Parquet inputs: query heads when the files carry no longattn.heads metadata (0: from it)
     * @param kvHeads        Parquet inputs: kv heads likewise (0: from the metadata, else heads)
     */
    public record Inputs(String q, String k, String v, String out, String lse, boolean overwrite, boolean allowNonFinite,
                         String cuSeqlensQ, String cuSeqlensK, int heads, int kvHeads) {
        /** One sequence, or a batch of them (rank-4 files). */
        public Inputs(String q, String k, String v, String out, String lse, boolean overwrite, boolean allowNonFinite) {
            this(q, k, v, out, lse, overwrite, allowNonFinite, null, null);
        }

        /** Files that carry their heads (.npy, Arrow). */
        public Inputs(String q, String k, String v, String out, String lse, boolean overwrite, boolean allowNonFinite,
                      String cuSeqlensQ, String cuSeqlensK) {
            this(q, k, v, out, lse, overwrite, allowNonFinite, cuSeqlensQ, cuSeqlensK, 0, 0);
        }
    }

    /**
     * Mask and score options (FlashAttention's): a window bound of -1 is unbounded; causal is window
     * (-1, 0). A null scale means 1/sqrt(D); a null soft cap means none.
     */
    public record Attention(boolean causal, int windowLeft, int windowRight, Double scale, Double softcap) {
        public static final Attention FULL = new Attention(false, -1, -1, null, null);

        public Attention {
            if (windowLeft < -1 || windowRight < -1) {
                throw new UserError("--window", "bound " + Math.min(windowLeft, windowRight) + " is below -1",
                        "each bound >= -1 (-1 = unbounded)");
            }
        }
    }

    public static Builder builder(String q, String k, String v, String out) {
        return new Builder(q, k, v, out);
    }

    /** For Java callers: files first, then options and settings. */
    public static final class Builder {
        private final String q, k, v, out;
        private String lse, cuSeqlensQ, cuSeqlensK;
        private boolean overwrite, allowNonFinite, causal;
        private int heads, kvHeads;
        private int windowLeft = -1, windowRight = -1;
        private Double scale, softcap;
        private final Map<String, String> conf = new LinkedHashMap<>();
        private String master, report;

        private Builder(String q, String k, String v, String out) {
            this.q = q;
            this.k = k;
            this.v = v;
            this.out = out;
        }

        public Builder lse(String path) {
            this.lse = path;
            return this;
        }

        /** Packed variable-length sequences: cu_seqlens of the queries and (null: the same) of the keys. */
        public Builder cuSeqlens(String q, String k) {
            this.cuSeqlensQ = q;
            this.cuSeqlensK = k;
            return this;
        }

        /** Parquet inputs without longattn.heads metadata: query heads and kv heads (0: from the metadata). */
        public Builder heads(int heads, int kvHeads) {
            this.heads = heads;
            this.kvHeads = kvHeads;
            return this;
        }

        public Builder overwrite(boolean b) {
            this.overwrite = b;
            return this;
        }

        public Builder allowNonFinite(boolean b) {
            this.allowNonFinite = b;
            return this;
        }

        public Builder causal(boolean b) {
            this.causal = b;
            return this;
        }

        public Builder window(int left, int right) {
            this.windowLeft = left;
            this.windowRight = right;
            return this;
        }

        public Builder scale(double s) {
            this.scale = s;
            return this;
        }

        public Builder softcap(double c) {
            this.softcap = c;
            return this;
        }

        /** A LongAttn setting, checked when the job is prepared. */
        public <T> Builder set(Setting<T> setting, T value) {
            conf.put(setting.key(), setting.format(value));
            return this;
        }

        /** Any Spark configuration key, or a setting by key. */
        public Builder conf(String key, String value) {
            conf.put(key, value);
            return this;
        }

        public Builder master(String url) {
            this.master = url;
            return this;
        }

        public Builder report(String path) {
            this.report = path;
            return this;
        }

        public JobRequest build() {
            return new JobRequest(new Inputs(q, k, v, out, lse, overwrite, allowNonFinite, cuSeqlensQ, cuSeqlensK, heads, kvHeads),
                    new Attention(causal, windowLeft, windowRight, scale, softcap), conf, master, report);
        }
    }
}
