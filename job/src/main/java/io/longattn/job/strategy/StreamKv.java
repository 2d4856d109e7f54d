package io.longattn.job.strategy;

import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.io.TensorReader;
import io.longattn.kernels.KvBlock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Each unit reads the kv blocks its mask allows straight from the input files (local, HDFS, S3A: any
 * path the executors see), so a task never holds all of K/V. Reads come in spans of a few kv blocks
 * (about 1 MiB, {@link io.longattn.partitioner.ChunkPlan#readSpanBlocks()}: few system calls, few
 * hand-offs), and the span after the one in use is read ahead by a reader thread while the kernel
 * works. Memory per task: two spans, whatever Sk is.
 */
public final class StreamKv implements KvStrategy {
    private static final long serialVersionUID = 1L;
    private final TensorHeader k;
    private final TensorHeader v;
    private final int spanBlocks;

    public StreamKv(TensorHeader k, TensorHeader v, int spanBlocks) {
        this.k = k;
        this.v = v;
        this.spanBlocks = spanBlocks;
    }

    @Override
    public String name() {
        return "stream";
    }

    @Override
    public Opened open() {
        return new Reader();
    }

    /** Rows [k0, k0 + length) of K and V for all kv heads, token-major. */
    private static final class Rows {
        float[] k = new float[0];
        float[] v = new float[0];
        int k0 = -1;
        int length = -1;
    }

    /** Reads on one thread of its own: the block after the one just handed out is read while it is computed. */
    private final class Reader implements Opened {
        private final TensorReader kr = TensorFiles.open(k);
        private final TensorReader vr = TensorFiles.open(v);
        private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "longattn-kv-reader");
            t.setDaemon(true);
            return t;
        });
        private final int hkv = k.heads(), d = k.dim(), dv = v.dim(), sk = k.seq();
        private Rows current = new Rows();
        private Rows spare = new Rows();
        private Future<Rows> ahead;
        private int aheadK0 = -1, aheadLength = -1;

        /** Every task reads the same two files: a GPU keeps one copy of their K/V for all of them. */
        @Override
        public Object residentKey() {
            return "stream:" + k.path() + "|" + v.path();
        }

        @Override
        public void load(int group, int k0, int length, KvBlock dst) {
            if (!(current.k0 <= k0 && k0 + length <= current.k0 + current.length)) {
                int span = spanBlocks * dst.capacity;
                Rows next;
                if (ahead != null && aheadK0 <= k0 && k0 + length <= aheadK0 + aheadLength) {
                    next = await(ahead);
                } else {
                    if (ahead != null) spare = await(ahead); // a read-ahead we do not need: its buffer is free again
                    int spanLength = Math.min(span, sk - k0);
                    next = await(io.submit(() -> read(spare, k0, spanLength)));
                }
                ahead = null;
                spare = current;
                current = next;
                int nextK0 = current.k0 + current.length;
                if (nextK0 < sk) {
                    int nextLength = Math.min(span, sk - nextK0);
                    Rows buffer = spare;
                    aheadK0 = nextK0;
                    aheadLength = nextLength;
                    ahead = io.submit(() -> read(buffer, nextK0, nextLength));
                    spare = null;
                }
            }
            dst.load(k0, length, current.k, current.v, current.k0, hkv, group);
        }

        private Rows read(Rows into, int k0, int length) throws IOException {
            Rows r = into == null ? new Rows() : into;
            if (r.k.length < length * hkv * d) r.k = new float[length * hkv * d];
            if (r.v.length < length * hkv * dv) r.v = new float[length * hkv * dv];
            kr.readRows(k0, length, r.k, 0);
            vr.readRows(k0, length, r.v, 0);
            r.k0 = k0;
            r.length = length;
            return r;
        }

        private Rows await(Future<Rows> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading K/V", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) throw re;
                if (c instanceof IOException io) throw new UncheckedIOException(io);
                throw new IllegalStateException(c);
            }
        }

        @Override
        public void close() {
            io.shutdownNow();
            try {
                kr.close();
                vr.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
