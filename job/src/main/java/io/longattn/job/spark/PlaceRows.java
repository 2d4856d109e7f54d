package io.longattn.job.spark;

import io.longattn.job.io.PlacedNpyOutput;
import org.apache.spark.api.java.function.FlatMapFunction;
import scala.Tuple2;

import java.io.Serializable;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Executor side of executor-written output: writes each finished unit's O (and LSE) rows at their final
 * offsets and passes on only its index, so the driver can check that every unit was written once.
 */
final class PlaceRows implements FlatMapFunction<Iterator<Tuple2<Integer, UnitResult>>, Integer>, Serializable {
    private static final long serialVersionUID = 1L;
    private final PlacedNpyOutput.Target o;
    private final PlacedNpyOutput.Target lse;
    private final int queryChunk;
    private final int hg;

    /** lse may be null. */
    PlaceRows(PlacedNpyOutput.Target o, PlacedNpyOutput.Target lse, int queryChunk, int hg) {
        this.o = o;
        this.lse = lse;
        this.queryChunk = queryChunk;
        this.hg = hg;
    }

    @Override
    public Iterator<Integer> call(Iterator<Tuple2<Integer, UnitResult>> results) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return results.hasNext();
            }

            @Override
            public Integer next() {
                if (!results.hasNext()) throw new NoSuchElementException();
                UnitResult u = results.next()._2();
                if (u.partial) throw new IllegalStateException("unit " + u.index + " reached the output unmerged");
                int q0 = u.chunk * queryChunk;
                o.write(q0, u.tokens, u.group * hg, hg, u.computedO());
                if (lse != null) lse.write(q0, u.tokens, u.group * hg, hg, u.computedLse());
                return u.index;
            }
        };
    }
}
