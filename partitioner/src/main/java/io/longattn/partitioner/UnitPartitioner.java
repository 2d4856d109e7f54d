package io.longattn.partitioner;

import org.apache.spark.Partitioner;

/** Spark's view of an {@link Assignment}: the key is a unit's order key (index). */
public final class UnitPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final Assignment assignment;

    public UnitPartitioner(Assignment assignment) {
        this.assignment = assignment;
    }

    @Override
    public int numPartitions() {
        return assignment.partitions();
    }

    @Override
    public int getPartition(Object key) {
        return assignment.partitionOf((Integer) key);
    }

    @Override
    public boolean equals(Object o) {
        return o == this;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
