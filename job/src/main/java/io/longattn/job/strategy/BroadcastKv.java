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
 * All of K/V once per executor JVM, as token-major float arrays. Memory O(Sk * Hkv * (D + Dv)) per executor.
 * Two ways there: Spark's torrent broadcast of Arrow IPC record batches, decoded once per executor; or,
 * when every executor runs on the driver's machine (a local master, a standalone cluster on one host),
 * each executor reads the input files itself, once, which the executors do for Q anyway. On a local
 * master the driver is the executor: it reads them before the tasks start and hands them over in memory,
 * one copy instead of the encoded batches, Spark's serialized blocks and the decoded arrays.
 */
public final class BroadcastKv implements KvStrategy {
    private static final long serialVersionUID = 1L;
    /** Tokens per Arrow record batch in the broadcast, and per read from the files. */
    static final int BATCH_TOKENS = 8192;

    /** The torrent broadcast, or null when the executors read the files. */
    private final Broadcast<KvPayload> payload;
    private final TensorHeader k;
    private final TensorHeader v;
    /** Names this job's K/V in an executor JVM when they come from the files. */
    private final String token;

    private BroadcastKv(Broadcast<KvPayload> payload, TensorHeader k, TensorHeader v, String token) {
        this.payload = payload;
        this.k = k;
        this.v = v;
        this.token = token;
    }

    /**
     * K and V for every executor: read from the files by each executor when {@code fromFiles} (every executor
     * on this machine; on a local master the driver reads them now, for its in-JVM executor), else read on the
     * driver, encoded as Arrow IPC batches and broadcast.
     */
    public static BroadcastKv create(JavaSparkContext jsc, TensorHeader k, TensorHeader v, boolean fromFiles) {
        if (fromFiles) {
            BroadcastKv kv = new BroadcastKv(null, k, v, java.util.UUID.randomUUID().toString());
            if (jsc.isLocal()) Decoded.of(kv.token, () -> Decoded.read(kv.token, k, v));
            return kv;
        }
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
        return new BroadcastKv(jsc.broadcast(new KvPayload(sk, hkv, d, dv, ipc)), k, v, null);
    }

    /** Lets this JVM's copy of K/V read from the files go once the job is over (the driver's, on a local master). */
    public void release() {
        if (payload == null) Decoded.release(token);
    }

    @Override
    public String name() {
        return "broadcast";
    }

    @Override
    public Opened open() {
        Decoded kv = payload == null ? Decoded.of(token, () -> Decoded.read(token, k, v))
                : Decoded.of(new TorrentKey(payload.id(), payload.value()), () -> Decoded.decode(payload.id(), payload.value()));
        return new Opened() {
            @Override
            public void load(int group, int k0, int length, KvBlock dst) {
                dst.load(k0, length, kv.k, kv.v, 0, kv.hkv, group);
            }

            /** Every task of the executor reads this one broadcast: a GPU keeps one copy for all of them. */
            @Override
            public Object residentKey() {
                return "broadcast:" + (payload == null ? token : payload.id());
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

    /** A torrent broadcast's key: its id and the payload object (identity), as ids restart with every SparkContext. */
    private record TorrentKey(long id, KvPayload payload) {
    }

    /**
     * K/V once per executor JVM (the last job's are kept). Broadcast ids restart with every SparkContext, so a
     * JVM that runs a second context (a Java program, a test) would find the previous job's K/V under the same
     * id: the payload object itself is part of a torrent key; K/V read from files are named by a job's token.
     */
    private static final class Decoded {
        private static Decoded last;
        final Object key;
        final int hkv;
        final float[] k;
        final float[] v;

        private Decoded(Object key, int sk, int hkv, int d, int dv) {
            this.key = key;
            this.hkv = hkv;
            this.k = new float[Math.multiplyExact(sk, hkv * d)];
            this.v = new float[Math.multiplyExact(sk, hkv * dv)];
        }

        static Decoded decode(long id, KvPayload p) {
            Decoded kv = new Decoded(new TorrentKey(id, p), p.sk, p.hkv, p.d, p.dv);
            int t = 0;
            for (byte[] b : p.batches) {
                ArrowBatches.decode(b, "k", kv.k, t * p.hkv * p.d);
                t += ArrowBatches.decode(b, "v", kv.v, t * p.hkv * p.dv);
            }
            return kv;
        }

        static Decoded read(String token, TensorHeader kh, TensorHeader vh) {
            int sk = kh.seq(), hkv = kh.heads(), d = kh.dim(), dv = vh.dim();
            Decoded kv = new Decoded(token, sk, hkv, d, dv);
            try (TensorReader kr = TensorFiles.open(kh); TensorReader vr = TensorFiles.open(vh)) {
                for (int t0 = 0; t0 < sk; t0 += BATCH_TOKENS) {
                    int n = Math.min(BATCH_TOKENS, sk - t0);
                    kr.readRows(t0, n, kv.k, t0 * hkv * d);
                    vr.readRows(t0, n, kv.v, t0 * hkv * dv);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return kv;
        }

        static synchronized Decoded of(Object key, java.util.function.Supplier<Decoded> make) {
            if (last == null || !last.key.equals(key)) {
                last = null; // let the previous job's arrays go before allocating
                last = make.get();
            }
            return last;
        }

        static synchronized void release(Object key) {
            if (last != null && last.key.equals(key)) last = null;
        }
    }
}
