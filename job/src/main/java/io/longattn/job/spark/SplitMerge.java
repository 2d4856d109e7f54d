package io.longattn.job.spark;

import io.longattn.kernels.SoftmaxState;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import scala.Tuple2;

import java.io.Serializable;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Split-KV: merges the partial summaries of one (query chunk, kv group) in split order 0, 1, 2, ...
 * (the input is sorted by unit index, whose low part is the split), then finishes O and LSE. The fixed
 * order makes the result independent of how the splits were scheduled.
 */
public final class SplitMerge implements PairFlatMapFunction<Iterator<Tuple2<Integer, UnitResult>>, Integer, UnitResult>,
        Serializable {
    private static final long serialVersionUID = 1L;
    private final int splits;
    private final int rowsCapacity;
    private final int dv;
    private final int hg;

    public SplitMerge(int splits, int rowsCapacity, int dv, int hg) {
        this.splits = splits;
        this.rowsCapacity = rowsCapacity;
        this.dv = dv;
        this.hg = hg;
    }

    @Override
    public Iterator<Tuple2<Integer, UnitResult>> call(Iterator<Tuple2<Integer, UnitResult>> in) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return in.hasNext();
            }

            @Override
            public Tuple2<Integer, UnitResult> next() {
                if (!in.hasNext()) throw new NoSuchElementException();
                UnitResult first = in.next()._2();
                SoftmaxState total;
                try (first) {
                    if (first.split != 0) {
                        throw new IllegalStateException("split-KV results out of order at unit " + first.index);
                    }
                    total = SoftmaxState.fromArray(first.summary(), rowsCapacity, dv);
                }
                for (int s = 1; s < splits; s++) {
                    try (UnitResult r = in.next()._2()) {
                        if (r.split != s || r.chunk != first.chunk || r.group != first.group) {
                            throw new IllegalStateException("split-KV results out of order at unit " + r.index);
                        }
                        total.merge(SoftmaxState.fromArray(r.summary(), rowsCapacity, dv));
                    }
                }
                int rows = first.tokens * hg;
                float[] o = new float[rows * dv];
                float[] lse = new float[rows];
                total.finish(rows, o, 0, lse, 0);
                int unitIndex = first.index / splits;
                return new Tuple2<>(unitIndex, UnitResult.finished(unitIndex, first.chunk, first.group, first.tokens, o, lse));
            }
        };
    }
}
