package io.longattn.job;

import io.longattn.kernels.AttentionSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sequences near 2^31 tokens: refused with one line before any scan, and planned without int overflow below the limit. */
class SequenceLimitTest {
    @TempDir
    Path dir;

    @Test
    void aSequenceTooLongToPlanIsRefusedBeforeTheScan() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 8, 8, 1, 1, 1, 1, 3);
        // a sparse q of shape (2^31 - 1, 1, 1) whose first value is NaN: had the scan run first, the line would be about NaN
        String q = dir.resolve("huge.npy").toString();
        byte[] header = npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 1, 1), }");
        try (RandomAccessFile f = new RandomAccessFile(q, "rw")) {
            f.write(header);
            f.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(Float.NaN)));
            f.setLength(header.length + 4L * Integer.MAX_VALUE);
        }
        CliErrorsTest.Outcome o = CliErrorsTest.cli("run", "--q", q, "--k", qkv[1], "--v", qkv[2],
                "--out", dir.resolve("o.npy").toString(), "--master", "local[2]");
        assertEquals(2, o.code(), o.err());
        String line = o.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("longattn: " + q + ": has 2147483647 tokens, more than a job can plan"), line);
        assertTrue(line.contains("expected at most 1073741824 tokens"), line);
        assertFalse(line.contains("NaN"), line);
    }

    @Test
    void theLongestSequenceIsPlannedWithoutOverflow() {
        int n = JobLauncher.MAX_SEQUENCE;
        AttentionSpec spec = AttentionSpec.of(n, n, 1, 1, 1, 1).withCausal(true);
        JobLauncher.Preview p = JobLauncher.preview(spec, Map.of("spark.master", "local[2]"));
        assertTrue(p.plan().unitCount() > 0);
        assertTrue((long) p.plan().chunks() * p.plan().queryChunk() >= n, "the chunks cover every query row");
    }

    /** A version 1.0 .npy header holding this dict, padded as numpy pads it. */
    static byte[] npyHeader(String dict) {
        byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
        int hlen = text.length + 1;
        int pad = 64 - ((10 + hlen) % 64);
        ByteBuffer b = ByteBuffer.allocate(10 + hlen + pad).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) (hlen + pad)).put(text);
        for (int i = 0; i < pad; i++) b.put((byte) ' ');
        return b.put((byte) '\n').array();
    }
}
