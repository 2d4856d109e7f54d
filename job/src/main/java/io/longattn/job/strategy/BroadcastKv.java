package io.longattn.job.strategy;

import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.io.TensorReader;
import io.longattn.kernels.KvBlock;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * K/V shipped once per executor as Arrow IPC record batches (Spark's torrent broadcast), decoded once
 * per executor JVM into token-major float arrays. Memory O(Sk * Hkv * (D + Dv)) per executor.
 */
public final class BroadcastKv implements KvStrategy {
    private static final long serialVersionUID = 1L;
    /** Tokens per Arrow record batch in the broadcast. */
    static final int BATCH_TOKENS = 8192;

    private final Broadcast<KvPayload> payload;

    private BroadcastKv(Broadcast<KvPayload> payload) {
        this.payload = payload;
    }

    /** Reads K and V on the driver, encodes them as Arrow IPC batches and broadcasts them. */
    public static BroadcastKv create(JavaSparkContext jsc, TensorHeader k, TensorHeader v) {
        int sk = k.seq(), hkv = k.heads(), d = k.dim(), dv = v.dim();
        int batches = (sk + BATCH_TOKENS - 1) / BATCH_TOKENS;
        byte[][] ipc = new byte[batches][];
        float[] kBuf = new float[BATCH_TOKENS * hkv * d];
        float[] vBuf = new float[BATCH_TOKENS * hkv * dv];
        try (TensorReader kr = TensorFiles.open(k); TensorReader vr = TensorFiles.open(v)) {
            for (int b = 0; b < batches; b++) {
                int t0 = b * BATCH_TOKENS, n = Math.min(BATCH_TOKENS, sk - t0);
                kr.readRows(t0, n, kBuf, 0);
                vr.readRows(t0, n, vBuf, 0);
                ipc[b] = ArrowBatches.encode(n, List.of("k", "v"), List.of(hkv * d, hkv * dv), List.of(kBuf, vBuf));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new BroadcastKv(jsc.broadcast(new KvPayload(sk, hkv, d, dv, ipc)));
    }

    @Override
    public String name() {
        return "broadcast";
    }

    @Override
    public Opened open() {
        Decoded kv = Decoded.of(payload.id(), payload.value());
        return new Opened() {
            @Override
            public void load(int group, int k0, int length, KvBlock dst) {
                dst.load(k0, length, kv.k, kv.v, 0, kv.hkv, group);
            }

            /** Every task of the executor reads this one broadcast: a GPU keeps one copy for all of them. */
            @Override
            public Object residentKey() {
                return "broadcast:" + payload.id();
            }

            @Override
            public void close() {
            }
        };
    }

    /** The broadcast value: Arrow IPC stream bytes, one record batch each. */
    public static final class KvPayload implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        public int sk;
        public int hkv;
        public int d;
        public int dv;
        public byte[][] batches;

        public KvPayload() {
        }

        KvPayload(int sk, int hkv, int d, int dv, byte[][] batches) {
            this.sk = sk;
            this.hkv = hkv;
            this.d = d;
            this.dv = dv;
            this.batches = batches;
        }
    }

    /**
     * K/V decoded once per executor JVM (the last broadcast seen is kept). Broadcast ids restart with
     * every SparkContext, so a JVM that runs a second context (a Java program, a test) would find the
     * previous job's K/V under the same id: the payload object itself is part of the key.
     */
    private static final class Decoded {
        private static Decoded last;
        final long id;
        final KvPayload payload;
        final int hkv;
        final float[] k;
        final float[] v;

        private Decoded(long id, KvPayload p) {
            this.id = id;
            this.payload = p;
            this.hkv = p.hkv;
            this.k = new float[p.sk * p.hkv * p.d];
            this.v = new float[p.sk * p.hkv * p.dv];
            int t = 0;
            for (byte[] b : p.batches) {
                ArrowBatches.decode(b, "k", k, t * p.hkv * p.d);
                t += ArrowBatches.decode(b, "v", v, t * p.hkv * p.dv);
            }
        }

        static synchronized Decoded of(long id, KvPayload p) {
            if (last == null || last.id != id || last.payload != p) {
                last = null; // let the previous job's arrays go before allocating
                last = new Decoded(id, p);
            }
            return last;
        }
    }
}
