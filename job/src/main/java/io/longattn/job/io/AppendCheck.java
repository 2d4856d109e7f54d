package io.longattn.job.io;

/** The preconditions every {@link TensorWriter#append} checks, in one place. */
final class AppendCheck {
    private AppendCheck() {
    }

    /** Returns the number of floats the append reads from src. */
    static long check(String path, boolean finished, long rows, long seq, float[] src, int offset, int tokens, long perToken) {
        checkRows(path, finished, rows, seq, tokens);
        long n = (long) tokens * perToken;
        if (offset < 0 || offset + n > src.length) {
            throw new IndexOutOfBoundsException("src[" + offset + " .. " + (offset + n) + ") outside length " + src.length);
        }
        return n;
    }

    /** {@link #check} for {@link TensorWriter#appendParts}: returns the floats read from each part. */
    static long checkParts(String path, boolean finished, long rows, long seq, java.nio.ByteBuffer[] parts, int partFloats,
                           int tokens, long perToken) {
        if ((long) parts.length * partFloats != perToken) {
            throw new IllegalArgumentException(parts.length + " parts of " + partFloats + " floats do not make a row of " + perToken);
        }
        checkRows(path, finished, rows, seq, tokens);
        long n = (long) tokens * partFloats;
        for (java.nio.ByteBuffer p : parts) {
            if (p.remaining() < n * 4) throw new IndexOutOfBoundsException("part of " + p.remaining() + " bytes, expected " + n * 4);
        }
        return n;
    }

    private static void checkRows(String path, boolean finished, long rows, long seq, int tokens) {
        if (finished) throw new IllegalStateException(path + ": append after commit or close");
        if (tokens < 0) throw new IllegalArgumentException("tokens " + tokens + " < 0");
        if (rows + tokens > seq) {
            throw new IllegalStateException(path + ": appending " + tokens + " rows to " + rows + " exceeds seq " + seq);
        }
    }
}
