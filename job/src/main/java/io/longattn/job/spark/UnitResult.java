package io.longattn.job.spark;

/**
 * What a unit sends back: its order key and either finished rows (o [tokens][hg][dv], lse [tokens][hg])
 * or, for split-KV, a partial summary (SoftmaxState.toArray) still to be merged.
 * A plain class for Kryo (Spark's Kryo 4 has no serializer for records).
 */
public final class UnitResult {
    public int index;
    public int chunk;
    public int group;
    public int split;
    public int tokens;
    /** True when summary holds a partial summary rather than finished o / lse. */
    public boolean partial;
    public float[] o;
    public float[] lse;
    public float[] summary;

    public UnitResult() {
    }

    public static UnitResult finished(int index, int chunk, int group, int tokens, float[] o, float[] lse) {
        UnitResult r = new UnitResult();
        r.index = index;
        r.chunk = chunk;
        r.group = group;
        r.tokens = tokens;
        r.o = o;
        r.lse = lse;
        return r;
    }

    public static UnitResult partial(int index, int chunk, int group, int split, int tokens, float[] summary) {
        UnitResult r = new UnitResult();
        r.index = index;
        r.chunk = chunk;
        r.group = group;
        r.split = split;
        r.tokens = tokens;
        r.partial = true;
        r.summary = summary;
        return r;
    }
}
