package io.longattn.job.io;

import io.longattn.job.UserError;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The entry points for tensor files: {@link #inspect} (driver: read and validate the header only),
 * {@link #open} (anywhere: random-access reader from a header), {@link #create} / {@link #createLse}
 * (atomic writers). Paths are local paths, {@code file:} URIs or Hadoop URIs (hdfs://, s3a://, ...);
 * the format follows the extension (.npy, or .arrow / .feather / .ipc for the Arrow IPC file format).
 */
public final class TensorFiles {
    private TensorFiles() {
    }

    /** The role whose files are [seq, heads] float32 (Arrow column {@code lse}). */
    public static final String LSE = "lse";

    /**
     * Reads and validates the header (.npy) or footer, schema and batch metadata (Arrow) of a tensor,
     * without reading its data.
     *
     * @param role q, k, v or o: the Arrow column name; {@code lse} for an [seq, heads] LSE file
     * @throws UserError naming the file for every problem with it
     */
    public static TensorHeader inspect(String path, String role) {
        return inspect(path, role, false);
    }

    static TensorHeader inspect(String path, String role, boolean forceHadoop) {
        if (role == null || role.isEmpty()) throw new IllegalArgumentException("role must be q, k, v, o or lse");
        TensorFormat format = TensorFormat.fromPath(path);
        boolean lse = LSE.equals(role);
        Storage.InputFile in = Storage.openInput(path, forceHadoop);
        String location = forceHadoop ? path : Storage.location(path);
        try {
            TensorHeader h = format == TensorFormat.NPY ? inspectNpy(in, location, role, lse) : ArrowFormat.inspect(in, location, role, lse);
            return h.withFingerprint(InputFingerprint.of(in));
        } catch (IOException e) {
            throw new UserError(path, "cannot be read (" + Storage.oneLine(e) + ")", "a readable file", e);
        } finally {
            Storage.closeQuietly(in);
        }
    }

    /** A whole tensor in memory, token-major (for checks on small files). */
    public static float[] readAll(String path, String role) {
        TensorHeader h = inspect(path, role);
        float[] all = new float[Math.multiplyExact(h.seq(), h.heads() * h.dim())];
        try (TensorReader r = open(h)) {
            r.readRows(0, h.seq(), all, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    private static TensorHeader inspectNpy(Storage.InputFile in, String location, String role, boolean lse) throws IOException {
        String path = in.path;
        NpyFormat.Parsed p = NpyFormat.readHeader(in);
        DType dtype = NpyFormat.dtypeOf(path, p.descr);
        if (p.fortranOrder) {
            throw new UserError(path, "is stored in Fortran order (fortran_order True)",
                    "C order (save numpy.ascontiguousarray(x))");
        }
        String shape = java.util.Arrays.toString(p.shape);
        int rank = lse ? 2 : 3;
        String[] names = lse ? new String[]{"seq", "heads"} : new String[]{"seq", "heads", "head_dim"};
        // a rank-4 [B, S, H, D] tensor is a batch of B sequences, read as B * S packed rows
        boolean batch = !lse && p.shape.length == 4;
        int batchSize = batch ? (int) Math.min(Integer.MAX_VALUE, p.shape[0]) : 0;
        if (batch) {
            names = new String[]{"batch", "seq", "heads", "head_dim"};
            for (int i = 0; i < 4; i++) {
                if (p.shape[i] == 0) throw new UserError(path, "has shape " + shape + " with " + names[i] + " 0", names[i] + " >= 1");
            }
            if (p.shape[0] * p.shape[1] > Integer.MAX_VALUE) {
                throw new UserError(path, "has shape " + shape + " with batch * seq " + p.shape[0] * p.shape[1],
                        "at most " + Integer.MAX_VALUE + " tokens in all");
            }
            p = new NpyFormat.Parsed(p.descr, p.fortranOrder, new long[]{p.shape[0] * p.shape[1], p.shape[2], p.shape[3]},
                    p.dataOffset);
        } else if (p.shape.length != rank) {
            throw new UserError(path, "has shape " + shape + " of rank " + p.shape.length,
                    "rank " + rank + " " + java.util.Arrays.toString(names).replace(",", "")
                            + (lse ? "" : " (or rank 4 [batch seq heads head_dim])"));
        }
        for (int i = 0; i < rank; i++) {
            if (p.shape[i] == 0) {
                throw new UserError(path, "has shape " + shape + " with " + names[i] + " 0", names[i] + " >= 1");
            }
        }
        if (p.shape[0] > Integer.MAX_VALUE) {
            throw new UserError(path, "has shape " + shape + " with seq " + p.shape[0], "at most " + Integer.MAX_VALUE + " tokens");
        }
        long perToken = lse ? p.shape[1] : p.shape[1] * p.shape[2];
        if (p.shape[1] > Integer.MAX_VALUE || (!lse && p.shape[2] > Integer.MAX_VALUE) || perToken > Integer.MAX_VALUE / 4) {
            throw new UserError(path, "has shape " + shape, "heads * head_dim below 2^29");
        }
        int seq = (int) p.shape[0], heads = (int) p.shape[1], dim = lse ? 1 : (int) p.shape[2];
        TensorHeader h = new TensorHeader(path, location, TensorFormat.NPY, dtype, seq, heads, dim, lse, role, p.dataOffset, null);
        if (batch) h = h.asBatch(batchSize);
        long have = in.size() - p.dataOffset;
        if (have < h.dataBytes()) {
            throw new UserError(path, "holds " + have + " bytes of data", h.dataBytes() + " for shape " + h.shapeString()
                    + " " + dtype.label() + " (the file is truncated)");
        }
        return h;
    }

    /**
     * Opens a random-access reader from a header (re-opens the path: works on any executor that sees it).
     * @throws UserError when the file is gone, unreadable or changed since it was inspected
     */
    public static TensorReader open(TensorHeader h) {
        return open(h, false);
    }

    static TensorReader open(TensorHeader h, boolean forceHadoop) {
        Storage.InputFile in = Storage.openInput(h.location(), h.path(), forceHadoop);
        try {
            checkUnchanged(h, in);
            return h.format() == TensorFormat.NPY ? new NpyTensorReader(h, in) : new ArrowTensorReader(h, in);
        } catch (RuntimeException e) {
            Storage.closeQuietly(in);
            throw e;
        }
    }

    /**
     * Deletes the temporary files of every local output this JVM is still writing, for a JVM that is being ended
     * by a signal; returns how many were deleted.
     */
    public static int abandonUnfinished() {
        return Storage.abandonAll();
    }

    /**
     * Checks an output path before anything is computed: a local path's directory exists and is writable,
     * the path is not a directory and is new unless overwrite (a dangling symbolic link counts as existing).
     * @throws UserError naming the path
     */
    public static void checkOutput(String path, boolean overwrite) {
        Storage.checkOutput(path, overwrite);
    }

    /**
     * Checks that the file still has the fingerprint it had when inspected (the driver, before it commits
     * the outputs: a change after the last task opened it is caught too).
     * @throws UserError naming the file when it changed
     */
    public static void verifyUnchanged(TensorHeader h) {
        if (h.fingerprint() == null) return;
        Storage.InputFile in = Storage.openInput(h.location(), h.path(), false);
        try {
            checkUnchanged(h, in);
        } finally {
            Storage.closeQuietly(in);
        }
    }

    private static void checkUnchanged(TensorHeader h, Storage.InputFile in) {
        if (h.fingerprint() == null) return;
        String difference;
        try {
            difference = h.fingerprint().difference(InputFingerprint.of(in));
        } catch (IOException e) {
            difference = "it cannot be read any more: " + Storage.oneLine(e);
        }
        if (difference != null) {
            throw new UserError(h.path(), "changed since it was inspected (" + difference + ")",
                    "an input left unchanged while the job runs");
        }
    }

    /**
     * Creates a writer of an [seq, heads, dim] tensor; the format follows the extension. Rows go to a hidden
     * temporary sibling ({@code .<name>.tmp-<random>}) until {@link TensorWriter#commit()}.
     *
     * @param column    the Arrow column name (o, q, k, v); unused for .npy
     * @param overwrite replace an existing file at commit; otherwise an existing path is a UserError
     * @throws UserError for an unknown extension, a missing or unwritable directory, an existing path without overwrite
     */
    public static TensorWriter create(String path, String column, int seq, int heads, int dim, DType dtype, boolean overwrite) {
        return create(path, column, seq, heads, dim, dtype, overwrite, false, false, Compression.NONE, 0);
    }

    /** As {@link #create(String, String, int, int, int, DType, boolean)}, an Arrow file's batches compressed. */
    public static TensorWriter create(String path, String column, int seq, int heads, int dim, DType dtype, boolean overwrite,
                                      Compression compression) {
        return create(path, column, seq, heads, dim, dtype, overwrite, false, false, compression, 0);
    }

    /**
     * The output of a job over sequences laid out like {@code like}: a rank-4 [B, S, heads, dim] .npy (LSE
     * [B, S, heads]) when it is a batch, else packed rows as {@link #create} writes them.
     */
    public static TensorWriter createLike(TensorHeader like, String path, String column, int heads, int dim, boolean lse,
                                          boolean overwrite, Compression compression) {
        return create(path, lse ? LSE : column, like.seq(), heads, lse ? 1 : dim, DType.FLOAT32, overwrite, lse, false,
                compression, like.batch());
    }

    /**
     * Creates a writer of an [seq, heads] float32 LSE tensor: a rank-2 .npy, or an Arrow column {@code lse} of
     * FixedSizeList&lt;float32, heads&gt; with schema metadata longattn.heads.
     */
    public static TensorWriter createLse(String path, int seq, int heads, boolean overwrite) {
        return createLse(path, seq, heads, overwrite, Compression.NONE);
    }

    public static TensorWriter createLse(String path, int seq, int heads, boolean overwrite, Compression compression) {
        return create(path, LSE, seq, heads, 1, DType.FLOAT32, overwrite, true, false, compression, 0);
    }

    static TensorWriter create(String path, String column, int seq, int heads, int dim, DType dtype, boolean overwrite,
                               boolean lse, boolean forceHadoop) {
        return create(path, column, seq, heads, dim, dtype, overwrite, lse, forceHadoop, Compression.NONE, 0);
    }

    static TensorWriter create(String path, String column, int seq, int heads, int dim, DType dtype, boolean overwrite,
                               boolean lse, boolean forceHadoop, Compression compression, int batch) {
        if (seq <= 0 || heads <= 0 || dim <= 0) {
            throw new IllegalArgumentException(path + ": shape [" + seq + ", " + heads + ", " + dim + "] must be positive");
        }
        if ((long) heads * dim > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException(path + ": heads * dim = " + (long) heads * dim + " is too large");
        }
        if (column == null || column.isEmpty()) throw new IllegalArgumentException("column must be named");
        if (dtype == null) throw new IllegalArgumentException("dtype must be given");
        TensorFormat format = TensorFormat.fromPath(path);
        // what a full disk's message says was needed: the data plus the .npy header or Arrow's metadata
        long expected = (long) seq * heads * dim * dtype.bytes() + (format == TensorFormat.NPY ? 128 : 1024);
        Storage.OutputFile out = Storage.createOutput(path, overwrite, forceHadoop, expected);
        try {
            if (format == TensorFormat.NPY) {
                long[] shape = lse ? new long[]{seq, heads} : new long[]{seq, heads, dim};
                if (batch > 0) {
                    shape = lse ? new long[]{batch, seq / batch, heads} : new long[]{batch, seq / batch, heads, dim};
                }
                return new NpyTensorWriter(out, shape, batch > 0 ? 2 : 1, dtype);
            }
            return new ArrowTensorWriter(out, column, seq, heads, dim, dtype, lse, compression);
        } catch (IOException e) {
            out.abort();
            throw new UncheckedIOException(path + ": cannot be written: " + Storage.oneLine(e), e);
        } catch (RuntimeException e) {
            out.abort();
            throw e;
        }
    }

    /** Writes a whole float32 tensor [seq, heads, dim] in one go (tests, data generation); refuses an existing path. */
    public static void writeWhole(String path, String column, int seq, int heads, int dim, float[] data) throws IOException {
        writeWhole(path, column, seq, heads, dim, DType.FLOAT32, false, data);
    }

    /** Writes a whole tensor [seq, heads, dim] stored as dtype in one go. */
    public static void writeWhole(String path, String column, int seq, int heads, int dim, DType dtype, boolean overwrite,
                                  float[] data) throws IOException {
        if (data.length != (long) seq * heads * dim) {
            throw new IllegalArgumentException(path + ": " + data.length + " floats given for shape ["
                    + seq + ", " + heads + ", " + dim + "]");
        }
        try (TensorWriter w = create(path, column, seq, heads, dim, dtype, overwrite)) {
            w.append(data, 0, seq);
            w.commit();
        }
    }

    /** Reads a whole tensor as float32 (tests, verification of small outputs). */
    public static float[] readWhole(TensorHeader h) throws IOException {
        if (h.elements() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(h.describe() + " has too many elements for one array");
        }
        float[] all = new float[(int) h.elements()];
        try (TensorReader r = open(h)) {
            r.readRows(0, h.seq(), all, 0);
        }
        return all;
    }

    /**
     * Sets the Hadoop configuration for hdfs://, s3a://, ... paths in this JVM, e.g. the driver's
     * {@code jsc.hadoopConfiguration()}. Without it: Spark's configuration (spark.hadoop.* included) once a
     * SparkEnv exists, else Hadoop's defaults (core-site.xml on the classpath or in HADOOP_CONF_DIR).
     */
    public static void useHadoopConfiguration(org.apache.hadoop.conf.Configuration conf) {
        Storage.useHadoopConfiguration(conf);
    }

    static void checkRange(TensorHeader h, long start, int count, float[] dst, int dstOffset) {
        if (start < 0 || count < 0 || start + count > h.seq()) {
            throw new IndexOutOfBoundsException(h.path() + ": rows [" + start + ", " + (start + count)
                    + ") outside [0, " + h.seq() + ")");
        }
        long need = (long) count * h.elementsPerToken();
        if (dstOffset < 0 || dstOffset + need > dst.length) {
            throw new IndexOutOfBoundsException(h.path() + ": " + need + " floats do not fit dst[" + dstOffset
                    + " ..] of length " + dst.length);
        }
    }
}
