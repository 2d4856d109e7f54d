package io.longattn.job.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Result blocks through Kryo: the bits survive, Arrow's own reader reads the block, and every buffer is freed. */
class UnitResultSerializerTest {
    static Kryo kryo() {
        Kryo k = new Kryo();
        k.setRegistrationRequired(true);
        new LongAttnKryoRegistrator().registerClasses(k);
        return k;
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        if (n > 2) {
            x[0] = Float.NEGATIVE_INFINITY;
            x[1] = -0.0f;
        }
        return x;
    }

    static byte[] bytes(Kryo k, UnitResult r) {
        Output out = new Output(1 << 10, -1);
        k.writeObject(out, r);
        return out.toBytes();
    }

    static float[] floats(java.nio.ByteBuffer b) {
        float[] x = new float[b.remaining() / 4];
        b.asFloatBuffer().get(x);
        return x;
    }

    @Test
    void finishedRowsArriveBitForBitAndAreSentOnUnchangedOnce() {
        Kryo k = kryo();
        long before = ResultMemory.allocated();
        float[] o = random(37 * 3 * 20, 1), lse = random(37 * 3, 2);
        byte[] sent = bytes(k, UnitResult.finished(11, 5, 2, 37, o, lse));
        try (UnitResult r = k.readObject(new Input(sent), UnitResult.class)) {
            assertEquals(List.of(11, 5, 2, 37), List.of(r.index, r.chunk, r.group, r.tokens));
            assertArrayEquals(o, floats(r.o()));
            assertArrayEquals(lse, floats(r.lse()));
            assertArrayEquals(sent, bytes(k, r), "a received block is sent on as it came");
            assertEquals(before, ResultMemory.allocated(), "sending a block on frees it");
            assertThrows(IllegalStateException.class, r::o);
        }
        assertEquals(before, ResultMemory.allocated());
    }

    @Test
    void partialSummariesArriveInSoftmaxStateLayout() {
        Kryo k = kryo();
        int rows = 24, dv = 5;
        float[] summary = random(rows * (dv + 2), 3);
        try (UnitResult r = k.readObject(new Input(bytes(k, UnitResult.partial(7, 1, 0, 3, 12, dv, summary))), UnitResult.class)) {
            assertEquals(3, r.split);
            assertArrayEquals(summary, r.summary());
            assertThrows(IllegalStateException.class, r::o);
        }
    }

    @Test
    void arrowsOwnReaderReadsTheBlockAsARecordBatchOfTheDocumentedSchema() throws Exception {
        Kryo k = kryo();
        int tokens = 9, hg = 2, dv = 3;
        float[] o = random(tokens * hg * dv, 4), lse = random(tokens * hg, 5);
        Output out = new Output(1 << 10, -1);
        new UnitResultSerializer().write(k, out, UnitResult.finished(0, 0, 0, tokens, o, lse));
        Input in = new Input(out.toBytes());
        for (int i = 0; i < 5; i++) in.readInt(true);
        in.readBoolean();
        assertEquals(tokens, in.readInt(true));
        int[] widths = {in.readInt(true), in.readInt(true)};
        assertArrayEquals(new int[]{hg * dv, hg}, widths);
        try (RootAllocator alloc = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.create(ResultBatch.schema(ResultBatch.FINISHED, widths), alloc);
             ArrowRecordBatch batch = MessageSerializer.deserializeRecordBatch(new ReadChannel(Channels.newChannel(in)), alloc)) {
            new VectorLoader(root).load(batch);
            assertEquals(tokens, root.getRowCount());
            Float4Vector oData = (Float4Vector) ((FixedSizeListVector) root.getVector("o")).getDataVector();
            Float4Vector lseData = (Float4Vector) ((FixedSizeListVector) root.getVector("lse")).getDataVector();
            for (int i = 0; i < o.length; i++) assertEquals(Float.floatToRawIntBits(o[i]), Float.floatToRawIntBits(oData.get(i)));
            for (int i = 0; i < lse.length; i++) assertEquals(Float.floatToRawIntBits(lse[i]), Float.floatToRawIntBits(lseData.get(i)));
        }
    }

    @Test
    void aBlockOfAnotherShapeIsRefusedAndFreesItsBuffer() {
        Kryo k = kryo();
        long before = ResultMemory.allocated();
        byte[] sent = bytes(k, UnitResult.finished(1, 0, 0, 4, random(4 * 8, 6), random(4, 7)));
        sent[6] ^= 1; // the row count Kryo carries, so the block's metadata no longer matches
        assertThrows(RuntimeException.class, () -> k.readObject(new Input(new ByteArrayInputStream(sent)), UnitResult.class));
        assertEquals(before, ResultMemory.allocated());
    }
}
