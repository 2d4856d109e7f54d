package io.longattn.job.io;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * What identifies an input's content cheaply enough to check on every open: its size, modification time,
 * file identity (inode and device, where the file system has one, so a same-size file moved over the
 * input is caught) and a CRC32C of its first and last 64 KiB (the header or footer and the ends of the
 * data). Taken when the job starts; a task whose file no longer matches fails the job with one line.
 */
public final class InputFingerprint implements Serializable {
    private static final long serialVersionUID = 1L;
    static final int SAMPLE_BYTES = 64 << 10;

    private final long size;
    private final long modifiedMillis;
    private final String fileKey;
    private final long sampleCrc;

    InputFingerprint(long size, long modifiedMillis, String fileKey, long sampleCrc) {
        this.size = size;
        this.modifiedMillis = modifiedMillis;
        this.fileKey = fileKey;
        this.sampleCrc = sampleCrc;
    }

    static InputFingerprint of(Storage.InputFile in) throws IOException {
        long size = in.size();
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(SAMPLE_BYTES, size));
        in.readFully(0, b);
        crc.update(b.flip());
        if (size > SAMPLE_BYTES) {
            long from = Math.max(SAMPLE_BYTES, size - SAMPLE_BYTES);
            b = ByteBuffer.allocate((int) (size - from));
            in.readFully(from, b);
            crc.update(b.flip());
        }
        return new InputFingerprint(size, in.modifiedMillis(), in.fileKey(), crc.getValue());
    }

    /** How other differs from this (the one taken at the start), or null when it does not. */
    String difference(InputFingerprint other) {
        if (other.size != size) return "its size is " + other.size + " bytes, " + size + " when inspected";
        if (!Objects.equals(other.fileKey, fileKey)) return "another file was moved over it";
        if (other.modifiedMillis != modifiedMillis) {
            return "it was modified at " + java.time.Instant.ofEpochMilli(other.modifiedMillis) + ", after it was inspected";
        }
        if (other.sampleCrc != sampleCrc) return "its bytes differ";
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputFingerprint f && difference(f) == null;
    }

    @Override
    public int hashCode() {
        return Objects.hash(size, modifiedMillis, fileKey, sampleCrc);
    }

    @Override
    public String toString() {
        return size + " bytes, modified " + modifiedMillis + ", key " + fileKey + ", crc32c " + Long.toHexString(sampleCrc);
    }
}
