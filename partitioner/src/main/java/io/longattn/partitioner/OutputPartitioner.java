package io.longattn.partitioner;

import org.apache.spark.Partitioner;

/**
 * Puts results back in query order: output partition p holds query chunks
 * [p * chunksPerPartition, (p + 1) * chunksPerPartition), so partitions fetched one after another
 * (toLocalIterator) and sorted by unit index within each give the output in order, with the driver
 * holding one output partition at a time. The key is a unit index = chunk * groups + group (+ split).
 */
public final class OutputPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int unitsPerChunk;
    private final int chunksPerPartition;
    private final int partitions;

    public OutputPartitioner(int chunks, int unitsPerChunk, int chunksPerPartition) {
        this.unitsPerChunk = unitsPerChunk;
        this.chunksPerPartition = Math.max(1, chunksPerPartition);
        this.partitions = (chunks + this.chunksPerPartition - 1) / this.chunksPerPartition;
    }

    @Override
    public int numPartitions() {
        return partitions;
    }

    @Override
    public int getPartition(Object key) {
        int unit = (Integer) key;
        return unit / unitsPerChunk / chunksPerPartition;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutputPartitioner other && other.unitsPerChunk == unitsPerChunk
                && other.chunksPerPartition == chunksPerPartition && other.partitions == partitions;
    }

    @Override
    public int hashCode() {
        return (unitsPerChunk * 31 + chunksPerPartition) * 31 + partitions;
    }
}
