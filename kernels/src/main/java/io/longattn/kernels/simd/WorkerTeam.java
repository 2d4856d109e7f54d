package io.longattn.kernels.simd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The caller plus {@code threads - 1} daemon workers that run every call of a kernel together: the
 * caller publishes a call by bumping an epoch, each thread runs its part, the caller waits for all.
 * Handshakes spin, then park (a call lasts microseconds to milliseconds: an executor's queue hand-off
 * would cost as much as a small call). A part's failure is rethrown to the caller.
 */
final class WorkerTeam {
    private static final int SPIN = 1 << 14;

    /** Part {@code index} (0 = the caller) of call number {@code call}. */
    interface Part {
        void run(int index, long call);
    }

    private final int threads;
    private final Part body;
    private final Worker[] workers;
    private volatile long epoch;
    private volatile boolean closed;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong arrived = new AtomicLong();
    private volatile Throwable failure;

    WorkerTeam(int threads, String name, Part body) {
        this.threads = threads;
        this.body = body;
        this.workers = new Worker[threads - 1];
        for (int t = 1; t < threads; t++) {
            Worker w = new Worker(t);
            w.setDaemon(true);
            w.setName(name + "-" + t);
            workers[t - 1] = w;
            w.start();
        }
    }

    boolean closed() {
        return closed;
    }

    /**
     * Runs one call on every thread; what the caller wrote before this is visible to the parts (the
     * epoch's volatile write publishes it).
     */
    void runCall() {
        failure = null;
        pending.set(threads - 1);
        long call = epoch + 1;
        epoch = call;
        for (Worker w : workers) LockSupport.unpark(w);
        try {
            body.run(0, call);
        } finally {
            int spins = 0;
            while (pending.get() != 0) {
                if (++spins < SPIN) Thread.onSpinWait();
                else Thread.yield();
            }
        }
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    /** A barrier inside a call: this part is through its first phase (call it even when that failed). */
    void arrive() {
        arrived.incrementAndGet();
    }

    /** Waits until every part of {@code call} has arrived. */
    void awaitArrivals(long call) {
        long target = call * threads;
        int spins = 0;
        while (arrived.get() < target) {
            if (++spins < SPIN) Thread.onSpinWait();
            else Thread.yield();
        }
    }

    /** Whether any worker is still alive (for tests). */
    boolean workersAlive() {
        for (Worker w : workers) if (w.isAlive()) return true;
        return false;
    }

    void close() {
        if (closed) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
        for (Worker w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final class Worker extends Thread {
        private final int index;

        Worker(int index) {
            this.index = index;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long e;
                int spins = 0;
                while ((e = epoch) == seen) {
                    if (closed) return;
                    if (++spins < SPIN) Thread.onSpinWait();
                    else LockSupport.parkNanos(this, 1_000_000L);
                }
                seen = e;
                try {
                    body.run(index, e);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }
}
