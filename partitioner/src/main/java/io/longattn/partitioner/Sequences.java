package io.longattn.partitioner;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The sequences of one job in FlashAttention's varlen convention: sequence i's queries are packed rows
 * [cuQ[i], cuQ[i+1]) and its keys [cuK[i], cuK[i+1]). A batch [B, S, ...] is the special case of equal
 * lengths; a single sequence is B = 1. Masks are bottom-right aligned per sequence; a sequence with no
 * keys gives O = 0 and LSE = -inf for its queries.
 */
public final class Sequences implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int[] cuQ;
    private final int[] cuK;

    /**
     * @throws IllegalArgumentException unless both offsets have the same length B + 1 >= 2, start at 0
     *                                  and do not decrease (callers check user files with their own messages)
     */
    public Sequences(int[] cuQ, int[] cuK) {
        this.cuQ = cuQ.clone();
        this.cuK = cuK.clone();
        if (cuQ.length < 2 || cuQ.length != cuK.length) {
            throw new IllegalArgumentException("offsets of lengths " + cuQ.length + " and " + cuK.length
                    + ", expected equal lengths B + 1 >= 2");
        }
        check(this.cuQ);
        check(this.cuK);
    }

    private static void check(int[] cu) {
        if (cu[0] != 0) throw new IllegalArgumentException("offsets start at " + cu[0] + ", expected 0");
        for (int i = 1; i < cu.length; i++) {
            if (cu[i] < cu[i - 1]) throw new IllegalArgumentException("offsets decrease at " + i + ": " + Arrays.toString(cu));
        }
    }

    public static Sequences single(int sq, int sk) {
        return new Sequences(new int[]{0, sq}, new int[]{0, sk});
    }

    /** B sequences of sq queries and sk keys each, packed one after another (a [B, S, H, D] batch). */
    public static Sequences batch(int b, int sq, int sk) {
        int[] q = new int[b + 1], k = new int[b + 1];
        for (int i = 1; i <= b; i++) {
            q[i] = Math.addExact(q[i - 1], sq);
            k[i] = Math.addExact(k[i - 1], sk);
        }
        return new Sequences(q, k);
    }

    /** Sequences of the given query and key lengths, packed in this order. */
    public static Sequences ofLengths(int[] sq, int[] sk) {
        if (sq.length != sk.length) throw new IllegalArgumentException(sq.length + " query lengths, " + sk.length + " key lengths");
        int[] q = new int[sq.length + 1], k = new int[sk.length + 1];
        for (int i = 0; i < sq.length; i++) {
            q[i + 1] = Math.addExact(q[i], sq[i]);
            k[i + 1] = Math.addExact(k[i], sk[i]);
        }
        return new Sequences(q, k);
    }

    public int count() {
        return cuQ.length - 1;
    }

    public int qStart(int i) {
        return cuQ[i];
    }

    public int kStart(int i) {
        return cuK[i];
    }

    public int sq(int i) {
        return cuQ[i + 1] - cuQ[i];
    }

    public int sk(int i) {
        return cuK[i + 1] - cuK[i];
    }

    public int totalQ() {
        return cuQ[cuQ.length - 1];
    }

    public int totalK() {
        return cuK[cuK.length - 1];
    }

    public int maxSq() {
        int m = 0;
        for (int i = 0; i < count(); i++) m = Math.max(m, sq(i));
        return m;
    }

    public int maxSk() {
        int m = 0;
        for (int i = 0; i < count(); i++) m = Math.max(m, sk(i));
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sequences s && Arrays.equals(cuQ, s.cuQ) && Arrays.equals(cuK, s.cuK);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(cuQ) + Arrays.hashCode(cuK);
    }

    @Override
    public String toString() {
        return count() == 1 ? "1 sequence" : count() + " sequences";
    }
}
