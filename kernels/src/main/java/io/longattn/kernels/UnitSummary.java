package io.longattn.kernels;

/**
 * The running summary of one unit's query rows once its keys are folded in: per row the max m (log2
 * units of the scaled score), the weight sum l and the value accumulator acc[dv], both relative to 2^m.
 * {@link SoftmaxState} is the host-memory one; a device kernel may keep its own until finished.
 */
public interface UnitSummary {
    /** Query rows (tokens x heads of the group, token-major). */
    int rows();

    int dv();

    /** Running max of row r, log2 units; -inf when the row saw no key. */
    float max(int r);

    /** Weight sum of row r relative to 2^max. */
    float sum(int r);

    /** Value accumulator of row r, column c, relative to 2^max. */
    float acc(int r, int c);

    /**
     * Writes O = acc / l ([rowCount][dv]) at outOffset and, when lse is not null, LSE = (m + log2 l) ln 2
     * at lseOffset. A row that saw no key gives O = 0 and LSE = -inf.
     */
    void finish(int rowCount, float[] out, int outOffset, float[] lse, int lseOffset);

    /** The summary as one flat array [max..., sum..., acc...] (split-KV ships it to be merged). */
    default float[] toArray() {
        int rows = rows(), dv = dv();
        float[] a = new float[Math.multiplyExact(rows, dv + 2)];
        for (int r = 0; r < rows; r++) {
            a[r] = max(r);
            a[rows + r] = sum(r);
            for (int c = 0; c < dv; c++) a[2 * rows + r * dv + c] = acc(r, c);
        }
        return a;
    }
}
