package io.longattn.kernels;
import org.junit.jupiter.api.Test;
class TmpErrTest {
    @Test void print() {
        for (var k : KernelAccuracyTest.kernels()) for (var c : KernelAccuracyTest.cases()) {
            Oracle.Inputs in = Oracle.random(c.spec(), c.name().hashCode(), c.qkStd());
            var r = LocalAttention.compute(c.spec(), in.q(), in.k(), in.v(), k.factory().apply(c.spec()), c.qChunk(), c.kvChunk());
            var rep = Oracle.measure(in, r);
            System.out.printf("%-14s %-32s outRatio=%.3f lseRatio=%.3f S=%.1f outErr=%.2e%n", k, c.name(), rep.maxOutErr()/rep.outTol(), rep.worstLseRatio(), rep.scoreMagnitude(), rep.maxOutErr());
        }
    }
}
