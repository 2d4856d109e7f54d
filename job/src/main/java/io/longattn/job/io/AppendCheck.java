package io.longattn.job.io;

/** The preconditions every {@link TensorWriter#append} checks, in one place. */
final class AppendCheck {
    private AppendCheck() {
    }

    /** Returns the number of floats the append reads from src. */
    static long check(String path, boolean finished, long rows, long seq, float[] src, int offset, int tokens, long perToken) {
        if (finished) throw new IllegalStateException(path + ": append after commit or close");
        if (tokens < 0) throw new IllegalArgumentException("tokens " + tokens + " < 0");
        if (rows + tokens > seq) {
            throw new IllegalStateException(path + ": appending " + tokens + " rows to " + rows + " exceeds seq " + seq);
        }
        long n = (long) tokens * perToken;
        if (offset < 0 || offset + n > src.length) {
            throw new IndexOutOfBoundsException("src[" + offset + " .. " + (offset + n) + ") outside length " + src.length);
        }
        return n;
    }
}
