package io.longattn.job.spark;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The one Arrow allocator of a JVM for result blocks: the executors' scratch while they encode a result and
 * whoever reads one (the driver, or the task that merges split-KV summaries) until it has written it. Its
 * limit is the JVM's direct memory (by default as large as the heap), so running out is Arrow's
 * OutOfMemoryException, not the kernel's.
 */
public final class ResultMemory {
    private static final BufferAllocator ROOT = new RootAllocator(Runtime.getRuntime().maxMemory());

    private ResultMemory() {
    }

    static BufferAllocator allocator() {
        return ROOT;
    }

    /** Bytes of result blocks not closed yet: 0 once a job has written every result. */
    public static long allocated() {
        return ROOT.getAllocatedMemory();
    }
}
