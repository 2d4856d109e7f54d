package io.longattn.job.strategy;

import io.longattn.kernels.KvSource;

import java.io.Closeable;
import java.io.Serializable;

/**
 * How K/V reach the units. Created on the driver, shipped in the task closure, opened on the executor.
 * Broadcast ships all of K/V once per executor; stream reads each kv block from the input files.
 */
public sealed interface KvStrategy extends Serializable permits BroadcastKv, StreamKv {

    /** Name for reports: broadcast, stream. */
    String name();

    /** Opens this task's view of K/V; close it when the task ends. */
    Opened open();

    /** An opened source. */
    interface Opened extends KvSource, Closeable {
        @Override
        void close();
    }
}
