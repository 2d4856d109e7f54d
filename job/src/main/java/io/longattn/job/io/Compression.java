package io.longattn.job.io;

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * Record batch compression of the Arrow IPC files LongAttn writes (what pyarrow calls LZ4_FRAME and
 * ZSTD); reading accepts either whatever this says. A .npy output ignores it.
 */
public enum Compression {
    NONE(CompressionUtil.CodecType.NO_COMPRESSION),
    LZ4(CompressionUtil.CodecType.LZ4_FRAME),
    ZSTD(CompressionUtil.CodecType.ZSTD);

    private final CompressionUtil.CodecType codec;

    Compression(CompressionUtil.CodecType codec) {
        this.codec = codec;
    }

    CompressionUtil.CodecType codec() {
        return codec;
    }

    /** The factory Arrow's readers and writers take: Arrow's own compression module for both codecs. */
    static CompressionCodec.Factory factory() {
        return CommonsCompressionFactory.INSTANCE;
    }

    /** The codecs the reader decompresses, by their IPC CompressionType number. */
    static boolean readable(byte ipcCodec) {
        return ipcCodec == CompressionUtil.CodecType.LZ4_FRAME.getType()
                || ipcCodec == CompressionUtil.CodecType.ZSTD.getType();
    }
}
