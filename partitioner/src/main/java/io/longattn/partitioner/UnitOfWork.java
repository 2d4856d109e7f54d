package io.longattn.partitioner;

import java.io.Serializable;

/**
 * One unit of work: query chunk {@code chunk} (tokens [q0, q0 + tokens) of sequence {@code sequence}) of
 * the query heads that share kv head {@code group}, over the sequence's keys [kvFrom, kvTo) (all of them
 * unless split-KV). Chunks are numbered across sequences in packed order, so {@code index} is the order key
 * of the packed output: results are written back in ascending index order.
 * A plain class, not a record: Spark's Kryo 4 cannot build a serializer for records.
 */
public final class UnitOfWork implements Serializable, Comparable<UnitOfWork> {
    private static final long serialVersionUID = 1L;

    public final int index;
    public final int chunk;
    public final int group;
    public final int q0;
    public final int tokens;
    public final int kvFrom;
    public final int kvTo;
    public final int kvSplit;
    /** Modelled cost: unmasked (query, key) pairs times query heads, plus a per-unit overhead. */
    public final long cost;
    /** The sequence (0 for a single-sequence job); q0, kvFrom and kvTo count from its first row. */
    public final int sequence;

    public UnitOfWork(int index, int chunk, int group, int q0, int tokens, int kvFrom, int kvTo, int kvSplit, long cost) {
        this(index, chunk, group, q0, tokens, kvFrom, kvTo, kvSplit, cost, 0);
    }

    public UnitOfWork(int index, int chunk, int group, int q0, int tokens, int kvFrom, int kvTo, int kvSplit, long cost,
                      int sequence) {
        this.sequence = sequence;
        this.index = index;
        this.chunk = chunk;
        this.group = group;
        this.q0 = q0;
        this.tokens = tokens;
        this.kvFrom = kvFrom;
        this.kvTo = kvTo;
        this.kvSplit = kvSplit;
        this.cost = cost;
    }

    @Override
    public int compareTo(UnitOfWork o) {
        return Integer.compare(index, o.index);
    }

    @Override
    public String toString() {
        return "unit " + index + " (" + (sequence > 0 ? "sequence " + sequence + ", " : "") + "chunk " + chunk + ", group " + group + ", q [" + q0 + "," + (q0 + tokens)
                + "), kv [" + kvFrom + "," + kvTo + "), cost " + cost + ")";
    }
}
