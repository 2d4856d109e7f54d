package io.longattn.job.io;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * What {@link TensorFiles#inspect} learned about one tensor file: enough for any executor to re-open it
 * and read rows at random. A tensor is [seq, heads, dim] (C order, token-major); an LSE file is
 * [seq, heads] ({@link #rank2()} true, {@link #dim()} 1).
 *
 * <p>A plain serializable class, not a record: Spark's Kryo 4 cannot build a serializer for records.
 */
public final class TensorHeader implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final String location;
    private final TensorFormat format;
    private final DType dtype;
    private final int seq;
    private final int heads;
    private final int dim;
    private final boolean rank2;
    private final String column;
    private final long dataOffset;
    private final long[] batchRowStarts;
    private InputFingerprint fingerprint;
    /** B of a rank-4 [B, S, heads, dim] file (seq is then B * S), 0 for a rank-3 one; set only by {@link #asBatch}. */
    private int batch;

    /** A header whose file is opened by the path as given (see the full constructor). */
    public TensorHeader(String path, TensorFormat format, DType dtype, int seq, int heads, int dim, boolean rank2,
                        String column, long dataOffset, long[] batchRowStarts) {
        this(path, path, format, dtype, seq, heads, dim, rank2, column, dataOffset, batchRowStarts);
    }

    /**
     * @param path           the file as the user named it (local path, file: URI or Hadoop URI), for messages
     * @param location       where readers open it: an absolute local path or a URI (so that executors whose working
     *                       directory differs from the driver's find the same file)
     * @param column         the Arrow column name (for .npy the role, informational)
     * @param dataOffset     .npy: byte offset of the first element; Arrow: 0
     * @param batchRowStarts Arrow: the first row of each record batch, ascending, starting at 0; .npy: empty
     */
    public TensorHeader(String path, String location, TensorFormat format, DType dtype, int seq, int heads, int dim,
                        boolean rank2, String column, long dataOffset, long[] batchRowStarts) {
        this.path = Objects.requireNonNull(path, "path");
        this.location = Objects.requireNonNull(location, "location");
        this.format = Objects.requireNonNull(format, "format");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        if (seq <= 0 || heads <= 0 || dim <= 0) {
            throw new IllegalArgumentException("shape [" + seq + ", " + heads + ", " + dim + "] must be positive");
        }
        if ((long) heads * dim > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("heads * dim = " + (long) heads * dim + " is too large");
        }
        if (rank2 && dim != 1) throw new IllegalArgumentException("a rank-2 tensor has dim 1, not " + dim);
        this.seq = seq;
        this.heads = heads;
        this.dim = dim;
        this.rank2 = rank2;
        this.column = Objects.requireNonNull(column, "column");
        if (dataOffset < 0) throw new IllegalArgumentException("dataOffset " + dataOffset + " < 0");
        this.dataOffset = dataOffset;
        this.batchRowStarts = batchRowStarts == null ? new long[0] : batchRowStarts.clone();
        for (int i = 0; i < this.batchRowStarts.length; i++) {
            long s = this.batchRowStarts[i];
            if ((i == 0 && s != 0) || (i > 0 && s < this.batchRowStarts[i - 1]) || s > seq) {
                throw new IllegalArgumentException("batch row starts " + Arrays.toString(batchRowStarts)
                        + " are not ascending from 0 within " + seq + " rows");
            }
        }
        if (format == TensorFormat.ARROW && this.batchRowStarts.length == 0) {
            throw new IllegalArgumentException("an Arrow tensor needs at least one record batch");
        }
    }

    /** This header with the fingerprint its file had when inspected; readers opened from it check the file still has it. */
    TensorHeader withFingerprint(InputFingerprint f) {
        TensorHeader h = new TensorHeader(path, location, format, dtype, seq, heads, dim, rank2, column, dataOffset, batchRowStarts);
        h.fingerprint = f;
        h.batch = batch;
        return h;
    }

    /** The file's fingerprint when it was inspected; null for a header made by hand. */
    public InputFingerprint fingerprint() {
        return fingerprint;
    }

    /** This header read as a [batch, seq / batch, heads, dim] batch of sequences (a rank-4 .npy). */
    TensorHeader asBatch(int b) {
        if (b <= 0 || seq % b != 0) throw new IllegalArgumentException(seq + " rows are not " + b + " equal sequences");
        TensorHeader h = new TensorHeader(path, location, format, dtype, seq, heads, dim, rank2, column, dataOffset, batchRowStarts);
        h.batch = b;
        h.fingerprint = fingerprint;
        return h;
    }

    /** B of a rank-4 [B, S, heads, dim] file, 0 for a rank-3 (or rank-2) one. */
    public int batch() {
        return batch;
    }

    /** The file as the user named it; every message uses this. */
    public String path() {
        return path;
    }

    /** Where readers open the file: an absolute local path or a URI. */
    public String location() {
        return location;
    }

    public TensorFormat format() {
        return format;
    }

    public DType dtype() {
        return dtype;
    }

    /** Tokens (rows). */
    public int seq() {
        return seq;
    }

    public int heads() {
        return heads;
    }

    /** head_dim; 1 for a rank-2 (LSE) tensor. */
    public int dim() {
        return dim;
    }

    /** True for an [seq, heads] tensor (LSE). */
    public boolean rank2() {
        return rank2;
    }

    /** The Arrow column name (for .npy: the role it was inspected as). */
    public String column() {
        return column;
    }

    /** .npy: byte offset of the data after the header; Arrow: 0. */
    public long dataOffset() {
        return dataOffset;
    }

    /** Arrow: the first row of each record batch (a copy); .npy: empty. */
    public long[] batchRowStarts() {
        return batchRowStarts.clone();
    }

    /** Arrow: number of record batches; .npy: 0. */
    public int batchCount() {
        return batchRowStarts.length;
    }

    /** Arrow: first row of batch b; b == batchCount() gives seq. */
    public long batchRowStart(int b) {
        return b == batchRowStarts.length ? seq : batchRowStarts[b];
    }

    /** heads * dim: floats per token. */
    public int elementsPerToken() {
        return heads * dim;
    }

    /** Stored bytes per token. */
    public long bytesPerToken() {
        return (long) elementsPerToken() * dtype.bytes();
    }

    /** Stored bytes of the whole tensor's data. */
    public long dataBytes() {
        return bytesPerToken() * seq;
    }

    /** Total elements. */
    public long elements() {
        return (long) seq * elementsPerToken();
    }

    /** The shape as numbers: [seq, heads, dim] or [seq, heads]. */
    public long[] shape() {
        if (batch > 0) return new long[]{batch, seq / batch, heads, dim};
        return rank2 ? new long[]{seq, heads} : new long[]{seq, heads, dim};
    }

    /** "[65536, 2, 64]". */
    public String shapeString() {
        if (batch > 0) return "[" + batch + ", " + seq / batch + ", " + heads + ", " + dim + "]";
        return rank2 ? "[" + seq + ", " + heads + "]" : "[" + seq + ", " + heads + ", " + dim + "]";
    }

    /** "q.npy [65536, 2, 64] float32". */
    public String describe() {
        return path + " " + shapeString() + " " + dtype.label();
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof TensorHeader)) return false;
        TensorHeader h = (TensorHeader) o;
        return seq == h.seq && batch == h.batch && heads == h.heads && dim == h.dim && rank2 == h.rank2 && dataOffset == h.dataOffset
                && path.equals(h.path) && location.equals(h.location) && format == h.format && dtype == h.dtype && column.equals(h.column)
                && Arrays.equals(batchRowStarts, h.batchRowStarts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, location, format, dtype, seq, heads, dim, rank2, column, dataOffset) * 31
                + Arrays.hashCode(batchRowStarts);
    }
}
