package io.longattn.job.parquet;

import io.longattn.job.UserError;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.Map;

/**
 * One input tensor in the Parquet layout, checked and reduced to three columns: seq_id (int64), the order of a
 * row within its sequence (pos, or where the row stands in its source), and the values (array of float32, or of
 * FLOAT16 bytes).
 *
 * @param name    what messages call it: the path, or "the q Dataset"
 * @param role    q, k or v: the column holding the values
 * @param rows    seq_id, order, values
 * @param byPos   the order is a pos column (duplicates are refused); otherwise the source's own order
 * @param heads   from metadata or a flag; 0 when neither says
 * @param headDim from metadata; 0 when it does not say (then values per token / heads)
 * @param float16 the values are Parquet FLOAT16, read as 2-byte little-endian binaries (Spark SQL has no half type)
 */
public record TensorRows(String name, String role, Dataset<Row> rows, boolean byPos, int heads, int headDim, boolean float16) {

    static final String ORDER = "__longattn_order";

    /**
     * Checks the schema and reduces a Dataset to the three columns.
     *
     * @param sourceOrder the rows' own order when there is no pos column (file and row index for files)
     * @param metadata    key-value metadata (a file's footer, or the column's field metadata)
     * @param flagHeads   heads from a flag (0: none); wins over metadata that agrees, refused beside metadata that does not
     * @param flag        the flag's name, for messages
     * @throws UserError naming the input and the column that does not fit the layout
     */
    public static TensorRows of(String name, String role, Dataset<Row> ds, Column sourceOrder, Map<String, String> metadata,
                                int flagHeads, String flag) {
        return of(name, role, ds, sourceOrder, metadata, flagHeads, flag, false);
    }

    /** As above; float16: the value column is array&lt;binary&gt; of Parquet FLOAT16 values. */
    static TensorRows of(String name, String role, Dataset<Row> ds, Column sourceOrder, Map<String, String> metadata,
                         int flagHeads, String flag, boolean float16) {
        StructType schema = ds.schema();
        StructField seqId = field(schema, ParquetLayout.SEQ_ID);
        StructField values = field(schema, role);
        if (seqId == null) {
            throw new UserError(name, "has no column " + ParquetLayout.SEQ_ID + " (columns: " + Arrays.toString(schema.fieldNames()) + ")",
                    "a column " + ParquetLayout.SEQ_ID + " of int64 naming each row's sequence");
        }
        if (!integral(seqId.dataType())) {
            throw new UserError(name, "column " + ParquetLayout.SEQ_ID + " is " + seqId.dataType().simpleString(), "int64");
        }
        if (values == null) {
            throw new UserError(name, "has no column " + role + " (columns: " + Arrays.toString(schema.fieldNames()) + ")",
                    "a column " + role + ": a list of float32 with heads * head_dim values per row");
        }
        DataType element = float16 ? DataTypes.BinaryType : DataTypes.FloatType;
        if (!(values.dataType() instanceof ArrayType a) || !a.elementType().equals(element)) {
            throw new UserError(name, "column " + role + " is " + values.dataType().simpleString(),
                    "a list or fixed-size list of float32 (array<float>) or float16 with heads * head_dim values per row");
        }
        StructField pos = field(schema, ParquetLayout.POS);
        if (pos != null && !integral(pos.dataType())) {
            throw new UserError(name, "column " + ParquetLayout.POS + " is " + pos.dataType().simpleString(),
                    "an integer column ordering each sequence's rows");
        }
        Map<String, String> meta = new java.util.HashMap<>(metadata);
        Metadata fieldMeta = values.metadata();
        for (String key : new String[]{ParquetLayout.HEADS_KEY, ParquetLayout.HEAD_DIM_KEY}) {
            if (!meta.containsKey(key) && fieldMeta.contains(key)) {
                meta.put(key, fieldMeta.contains(key) && isLong(fieldMeta, key) ? String.valueOf(fieldMeta.getLong(key)) : fieldMeta.getString(key));
            }
        }
        int metaHeads = positive(name, meta, ParquetLayout.HEADS_KEY);
        int metaDim = positive(name, meta, ParquetLayout.HEAD_DIM_KEY);
        if (flagHeads < 0) throw new UserError(flag, "is " + flagHeads, "heads >= 1");
        if (flagHeads > 0 && metaHeads > 0 && flagHeads != metaHeads) {
            throw new UserError(flag, flagHeads + " differs from " + name + " metadata " + ParquetLayout.HEADS_KEY + "=" + metaHeads,
                    "the file's " + metaHeads + ", or no " + flag);
        }
        int heads = flagHeads > 0 ? flagHeads : metaHeads;
        Column order = pos != null ? functions.col(ParquetLayout.POS).cast(DataTypes.LongType) : sourceOrder;
        Dataset<Row> rows = ds.select(functions.col(ParquetLayout.SEQ_ID).cast(DataTypes.LongType).as(ParquetLayout.SEQ_ID),
                order.as(ORDER), functions.col(role).as(role));
        return new TensorRows(name, role, rows, pos != null, heads, metaDim, float16);
    }

    private static boolean isLong(Metadata m, String key) {
        try {
            m.getLong(key);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static StructField field(StructType schema, String name) {
        for (StructField f : schema.fields()) if (f.name().equals(name)) return f;
        return null;
    }

    private static boolean integral(DataType t) {
        return t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.ShortType);
    }

    private static int positive(String name, Map<String, String> meta, String key) {
        String s = meta.get(key);
        if (s == null) return 0;
        try {
            int x = Integer.parseInt(s.trim());
            if (x >= 1) return x;
        } catch (NumberFormatException ignored) {
            // the message below says what was expected
        }
        throw new UserError(name, "metadata " + key + " is '" + UserError.printable(s) + "'", "a positive integer");
    }
}
