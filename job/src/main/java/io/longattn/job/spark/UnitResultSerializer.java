package io.longattn.job.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Kryo carries a {@link UnitResult}'s metadata (order key, chunk, group, split, tokens, column widths); its rows
 * follow in the same stream as one Arrow IPC record batch message ({@link ResultBatch}), read into Arrow memory
 * on the receiving side, where the result's consumer closes it, or sending it on does.
 */
final class UnitResultSerializer extends Serializer<UnitResult> {
    /** Bytes between Kryo's stream and the blocks' buffers; a Kryo instance (and so its serializers) serves one thread. */
    private final byte[] scratch = new byte[64 << 10];

    @Override
    public void write(Kryo kryo, Output out, UnitResult r) {
        out.writeInt(r.index, true);
        out.writeInt(r.chunk, true);
        out.writeInt(r.group, true);
        out.writeInt(r.split, true);
        out.writeInt(r.tokens, true);
        out.writeBoolean(r.partial);
        out.writeInt(r.rows, true);
        for (int w : r.widths) out.writeInt(w, true);
        ResultBatch.Layout layout = ResultBatch.layout(r.partial, r.rows, r.widths);
        if (r.batch != null) {
            // a received block is sent on at most once (a shuffle's reduce side passing finished rows to the driver):
            // the send frees it, as nothing downstream of Spark's serializer could
            r.batch.write(out, scratch);
            r.close();
        } else ResultBatch.write(out, layout, r.columns, r.offsets, scratch);
    }

    @Override
    public UnitResult read(Kryo kryo, Input in, Class<UnitResult> type) {
        UnitResult r = new UnitResult();
        r.index = in.readInt(true);
        r.chunk = in.readInt(true);
        r.group = in.readInt(true);
        r.split = in.readInt(true);
        r.tokens = in.readInt(true);
        r.partial = in.readBoolean();
        r.rows = in.readInt(true);
        r.widths = new int[names(r.partial).size()];
        for (int c = 0; c < r.widths.length; c++) r.widths[c] = in.readInt(true);
        try {
            r.batch = ResultBatch.read(in, ResultBatch.layout(r.partial, r.rows, r.widths), scratch);
        } catch (IOException e) {
            throw new UncheckedIOException("unit " + r.index + ": " + e.getMessage(), e);
        }
        return r;
    }

    private static java.util.List<String> names(boolean partial) {
        return partial ? ResultBatch.PARTIAL : ResultBatch.FINISHED;
    }
}
