package io.longattn.job.io;

import io.longattn.job.UserError;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Streams over a whole tensor in bounded memory (blocks of about 4 MiB) looking for NaN and infinities,
 * so the CLI can refuse them unless --allow-nonfinite.
 */
public final class NonFiniteScan {
    private NonFiniteScan() {
    }

    /** Bytes of float32 per block read. */
    static final int BLOCK_BYTES = 4 << 20;

    public enum Kind {
        NAN("NaN"), POS_INF("+Inf"), NEG_INF("-Inf");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        @Override
        public String toString() {
            return label;
        }

        static Kind of(float x) {
            return Float.isNaN(x) ? NAN : x > 0 ? POS_INF : NEG_INF;
        }
    }

    /** What a scan found: how many non-finite values, and the first one's position and kind. */
    public static final class Result {
        private final String path;
        private final String role;
        private final long count;
        private final long nanCount;
        private final long token;
        private final int head;
        private final int index;
        private final Kind kind;

        Result(String path, String role, long count, long nanCount, long token, int head, int index, Kind kind) {
            this.path = path;
            this.role = role;
            this.count = count;
            this.nanCount = nanCount;
            this.token = token;
            this.head = head;
            this.index = index;
            this.kind = kind;
        }

        public String path() {
            return path;
        }

        public String role() {
            return role;
        }

        /** Non-finite values in the whole tensor. */
        public long count() {
            return count;
        }

        /** Of which NaN. */
        public long nanCount() {
            return nanCount;
        }

        /** The first non-finite value's token (row). */
        public long token() {
            return token;
        }

        /** Its head. */
        public int head() {
            return head;
        }

        /** Its index within the head (0 for an LSE tensor). */
        public int index() {
            return index;
        }

        public Kind kind() {
            return kind;
        }

        /** The problem, without the file name: "holds 3 non-finite values (2 NaN); the first is NaN at token 5, head 1, index 7". */
        public String describe() {
            return "holds " + count + " non-finite value" + (count == 1 ? "" : "s") + " (" + nanCount + " NaN, "
                    + (count - nanCount) + " infinite); the first is " + kind.label() + " at token " + token
                    + ", head " + head + ", index " + index;
        }

        /** The UserError the CLI raises for this result. */
        public UserError toUserError() {
            return new UserError(path, describe(), "finite values (or --allow-nonfinite)");
        }

        @Override
        public String toString() {
            return path + ": " + describe();
        }
    }

    /** Scans h; null when every value is finite. */
    public static Result scan(TensorHeader h) {
        return scan(h, h.column());
    }

    /**
     * Scans h (role names it in the result: q, k, v); null when every value is finite.
     * @throws UserError when the file cannot be read
     */
    public static Result scan(TensorHeader h, String role) {
        int epr = h.elementsPerToken();
        int tokensPerBlock = Math.max(1, Math.min(h.seq(), BLOCK_BYTES / 4 / epr));
        float[] block = new float[tokensPerBlock * epr];
        long count = 0, nans = 0;
        long firstElement = -1;
        Kind firstKind = null;
        try (TensorReader r = TensorFiles.open(h)) {
            for (long t0 = 0; t0 < h.seq(); t0 += tokensPerBlock) {
                int n = (int) Math.min(tokensPerBlock, h.seq() - t0);
                r.readRows(t0, n, block, 0);
                int len = n * epr;
                if (allFinite(block, len)) continue;
                for (int i = 0; i < len; i++) {
                    float x = block[i];
                    if (!Float.isFinite(x)) {
                        if (firstKind == null) {
                            firstKind = Kind.of(x);
                            firstElement = t0 * epr + i;
                        }
                        count++;
                        if (x != x) nans++;
                    }
                }
            }
        } catch (IOException e) {
            throw new UserError(h.path(), "cannot be read (" + Storage.oneLine(e) + ")", "a readable file", e);
        } catch (UncheckedIOException e) {
            throw new UserError(h.path(), "cannot be read (" + Storage.oneLine(e.getCause()) + ")", "a readable file", e);
        }
        if (count == 0) return null;
        long token = firstElement / epr;
        int within = (int) (firstElement % epr);
        return new Result(h.path(), role, count, nans, token, within / h.dim(), within % h.dim(), firstKind);
    }

    /**
     * True when no element of a[0, len) has an all-ones exponent. (bits & 0x7f800000) + 0x00800000 has its sign bit
     * set exactly for NaN and infinities; OR-ing those is a branch-free integer reduction the JIT vectorizes.
     */
    static boolean allFinite(float[] a, int len) {
        int acc = 0;
        for (int i = 0; i < len; i++) {
            acc |= (Float.floatToRawIntBits(a[i]) & 0x7f800000) + 0x00800000;
        }
        return acc >= 0;
    }
}
