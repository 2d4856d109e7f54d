package io.longattn.job.io;

import io.longattn.job.UserError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * FlashAttention's cu_seqlens: a rank-1 int32 or int64 .npy of B + 1 offsets into the packed rows,
 * starting at 0, non-decreasing, ending at the packed tensor's row count.
 */
public final class CuSeqlens {
    private CuSeqlens() {
    }

    static final String EXPECTED = "a rank-1 int32 or int64 .npy of B + 1 offsets (torch.cumsum of the lengths with a"
            + " leading 0, FlashAttention's cu_seqlens)";

    /** Offsets as the bytes of an int64 .npy, which {@link #read} takes back. */
    public static byte[] npyBytes(int[] cu) {
        byte[] header = NpyFormat.header("<i8", new long[]{cu.length});
        ByteBuffer b = ByteBuffer.allocate(header.length + 8 * cu.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header);
        for (int x : cu) b.putLong(x);
        return b.array();
    }

    /**
     * Reads and checks the offsets.
     *
     * @param flag  the flag that named the file (--cu-seqlens-q), for messages
     * @param total the packed tensor's rows: the last offset must equal it (-1: any, for a plan without files)
     * @param of    the packed tensor's path, for messages
     */
    public static int[] read(String flag, String path, long total, String of) {
        if (!TensorFormat.fileName(path).toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
            throw new UserError(flag, path + " is not a .npy file", EXPECTED);
        }
        Storage.InputFile in = Storage.openInput(path, false);
        try {
            NpyFormat.Parsed p = NpyFormat.readHeader(in);
            String body = p.descr.length() > 1 && "<|=".indexOf(p.descr.charAt(0)) >= 0 ? p.descr.substring(1) : p.descr;
            int width = "i4".equals(body) ? 4 : "i8".equals(body) ? 8 : 0;
            if (width == 0 || p.descr.startsWith(">")) {
                throw new UserError(path, "has dtype " + NpyFormat.dtypeName(p.descr) + " (" + p.descr + ")", "int32 (<i4) or int64 (<i8)");
            }
            if (p.shape.length != 1) {
                throw new UserError(path, "has shape " + Arrays.toString(p.shape), EXPECTED);
            }
            if (p.shape[0] < 2 || p.shape[0] > (1 << 26)) {
                throw new UserError(path, "has " + p.shape[0] + " offsets", "between 2 (one sequence) and 2^26");
            }
            int n = (int) p.shape[0];
            if (in.size() - p.dataOffset < (long) n * width) {
                throw new UserError(path, "holds " + (in.size() - p.dataOffset) + " bytes of data", (long) n * width
                        + " for " + n + " offsets (the file is truncated)");
            }
            ByteBuffer b = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
            in.readFully(p.dataOffset, b);
            b.flip();
            int[] cu = new int[n];
            long prev = 0;
            for (int i = 0; i < n; i++) {
                long x = width == 4 ? b.getInt() : b.getLong();
                if (i == 0 && x != 0) throw new UserError(path, "starts at " + x, "offsets starting at 0");
                if (x < prev) {
                    throw new UserError(path, "decreases at index " + i + " (" + prev + " then " + x + ")", "non-decreasing offsets");
                }
                if (total >= 0 && x > total) {
                    throw new UserError(path, "offset " + i + " is " + x + ", past the " + total + " rows of " + of,
                            "offsets ending at " + total);
                }
                cu[i] = (int) x;
                prev = x;
            }
            if (total >= 0 && prev != total) {
                throw new UserError(path, "ends at " + prev + ", but " + of + " has " + total + " rows", "offsets ending at " + total);
            }
            return cu;
        } catch (IOException e) {
            throw new UserError(path, "cannot be read (" + Storage.oneLine(e) + ")", "a readable file", e);
        } finally {
            Storage.closeQuietly(in);
        }
    }
}
