package io.longattn.job.strategy;

import io.longattn.job.Plural;
import io.longattn.kernels.AttentionSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/** How K/V reach the units; {@link #AUTO} is only ever requested, {@link #decide} turns it into one of the others. */
public enum Strategy {
    AUTO("auto"),
    /** K/V as Arrow IPC batches, once per executor. */
    BROADCAST("broadcast"),
    /** Every unit reads its kv blocks from the files. */
    STREAM("stream"),
    /** Key ranges become units of their own; their partial summaries are merged after the shuffle. */
    SPLIT_KV("split-kv");

    private final String label;

    Strategy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Whether the units cover key ranges (split-KV) rather than all keys of a query chunk. */
    public boolean splitsKeys() {
        return this == SPLIT_KV;
    }

    public static Map<String, Strategy> byLabel() {
        Map<String, Strategy> m = new LinkedHashMap<>();
        for (Strategy s : values()) m.put(s.label, s);
        return m;
    }

    /** The strategy a job runs with, and why. */
    public record Decision(Strategy strategy, String reason) {
        public Decision {
            if (strategy == AUTO) throw new IllegalArgumentException("a decision is never auto");
        }
    }

    /**
     * Decides the strategy once: a requested one as is; auto picks split-kv when the query chunks cannot
     * fill the partitions, else broadcast when K+V (float32) fits the broadcast limit, else stream.
     *
     * @param broadcastLimit the setting, capped by the caller at a quarter of an executor's heap
     */
    public static Decision decide(Strategy requested, AttentionSpec spec, int partitions, long broadcastLimit) {
        if (requested != AUTO) return new Decision(requested, "requested");
        long kvBytes = 4L * spec.sk() * spec.hkv() * (spec.d() + spec.dv());
        if ((long) spec.sq() * spec.hkv() < 4L * partitions && spec.sk() >= 64L * partitions) {
            return new Decision(SPLIT_KV, "auto: " + Plural.of(spec.sq(), "query", "queries") + " x "
                    + Plural.of(spec.hkv(), "kv head") + " cannot fill " + Plural.of(partitions, "partition")
                    + "; key ranges become units");
        }
        if (kvBytes <= broadcastLimit) {
            return new Decision(BROADCAST, "auto: K+V is " + kvBytes + " bytes <= " + broadcastLimit
                    + " (broadcast limit, at most executor memory / 4)");
        }
        return new Decision(STREAM, "auto: K+V is " + kvBytes + " bytes > " + broadcastLimit
                + " (broadcast limit, at most executor memory / 4)");
    }
}
