package io.longattn.job.spark;

import com.esotericsoftware.kryo.Kryo;
import io.longattn.job.strategy.BroadcastKv;
import io.longattn.partitioner.UnitOfWork;
import org.apache.spark.serializer.KryoRegistrator;

/** Registers every class LongAttn puts through Kryo, so spark.kryo.registrationRequired=true holds. */
public final class LongAttnKryoRegistrator implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(UnitOfWork.class);
        kryo.register(UnitResult.class, new UnitResultSerializer());
        kryo.register(BroadcastKv.KvPayload.class);
        kryo.register(float[].class);
        kryo.register(int[].class);
        kryo.register(long[].class);
        kryo.register(byte[].class);
        kryo.register(byte[][].class);
    }
}
