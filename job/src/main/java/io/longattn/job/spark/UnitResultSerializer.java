package io.longattn.job.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.WriteChannel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;

/**
 * Kryo carries a {@link UnitResult}'s metadata (order key, chunk, group, split, tokens, column widths); its rows
 * follow in the same stream as one Arrow IPC record batch message ({@link ResultBatch}), read straight into
 * Arrow memory on the receiving side.
 */
final class UnitResultSerializer extends Serializer<UnitResult> {
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
        try {
            WriteChannel ch = new WriteChannel(Channels.newChannel(out));
            if (r.batch != null) r.batch.write(ch);
            else ResultBatch.write(ch, names(r.partial), r.widths, r.rows, r.columns, r.offsets);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
            r.batch = ResultBatch.read(new ReadChannel(Channels.newChannel(in)), names(r.partial), r.widths);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (r.batch.rows() != r.rows) {
            r.close();
            throw new IllegalStateException("unit " + r.index + ": result block of " + r.batch.rows() + " rows, expected " + r.rows);
        }
        return r;
    }

    private static java.util.List<String> names(boolean partial) {
        return partial ? ResultBatch.PARTIAL : ResultBatch.FINISHED;
    }
}
