package io.longattn.job.io;

import io.longattn.job.UserError;

import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Arrow IPC file layout LongAttn reads and writes: one column (q, k, v, o) of
 * FixedSizeList&lt;float32 | float16, heads * head_dim&gt;, one row per token, schema metadata
 * {@code longattn.heads} and {@code longattn.head_dim}; LSE as column {@code lse} of
 * FixedSizeList&lt;float32, heads&gt; with {@code longattn.heads}.
 */
final class ArrowFormat {
    private ArrowFormat() {
    }

    static final String META_HEADS = "longattn.heads";
    static final String META_HEAD_DIM = "longattn.head_dim";
    static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    static final String ARROW_FILE = "Arrow IPC file (pyarrow.ipc.new_file, pyarrow.feather.write_feather,"
            + " Arrow JS tableToIPC(table, 'file'))";
    static final String EXPECTED_FILE = "an " + ARROW_FILE;

    /** Reads the schema, footer and each record batch's metadata (not the data) and validates them. */
    static TensorHeader inspect(Storage.InputFile in, String location, String column, boolean lse) throws IOException {
        String path = in.path;
        long size = in.size();
        int footerLen = checkMagic(in, size);
        Schema schema;
        List<ArrowBlock> blocks;
        // Parse the footer directly (no allocator, no vectors): the batches' data is never touched here.
        try {
            ByteBuffer fb = ByteBuffer.allocate(footerLen).order(ByteOrder.LITTLE_ENDIAN);
            in.readFully(size - 10 - footerLen, fb);
            fb.flip();
            ArrowFooter footer = new ArrowFooter(Footer.getRootAsFooter(fb));
            schema = footer.getSchema();
            blocks = new ArrayList<>(footer.getRecordBatches());
        } catch (UserError e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupt(path, "its footer or schema cannot be read: " + Storage.oneLine(e), e);
        }
        Field field = null;
        int nodeIndex = 0;
        List<String> names = new ArrayList<>();
        for (Field f : schema.getFields()) {
            names.add(f.getName());
            if (field == null && f.getName().equals(column)) field = f;
            if (field == null) nodeIndex += nodeCount(f);
        }
        if (field == null) {
            throw new UserError(path, "has columns " + names, "a column named " + column);
        }
        if (field.getDictionary() != null) {
            throw new UserError(path, "column " + column + " is dictionary-encoded", "a plain FixedSizeList column");
        }
        Map<String, String> meta = metadata(schema, field);
        Integer headsMeta = intOrNull(meta.get(META_HEADS));
        Integer dimMeta = lse ? Integer.valueOf(1) : intOrNull(meta.get(META_HEAD_DIM));
        String sizeText = headsMeta != null && dimMeta != null && (long) headsMeta * dimMeta <= Integer.MAX_VALUE
                ? String.valueOf(headsMeta * dimMeta) : lse ? "heads" : "heads * head_dim";
        String expectedType = lse ? "FixedSizeList<float32, " + sizeText + ">"
                : "FixedSizeList<float32 or float16, " + sizeText + ">";
        ArrowType type = field.getType();
        DType dtype = null;
        if (type instanceof ArrowType.FixedSizeList && field.getChildren().size() == 1
                && field.getChildren().get(0).getType() instanceof ArrowType.FloatingPoint) {
            FloatingPointPrecision p = ((ArrowType.FloatingPoint) field.getChildren().get(0).getType()).getPrecision();
            if (p == FloatingPointPrecision.SINGLE) dtype = DType.FLOAT32;
            else if (p == FloatingPointPrecision.HALF && !lse) dtype = DType.FLOAT16;
        }
        if (dtype == null) {
            throw new UserError(path, "column " + column + " has type " + typeName(field), expectedType);
        }
        int listSize = ((ArrowType.FixedSizeList) type).getListSize();
        String example = metadataExample(listSize, headsMeta, lse ? null : dimMeta, lse);
        int heads = positiveMeta(path, meta, META_HEADS, "the number of heads", example);
        int dim = lse ? 1 : positiveMeta(path, meta, META_HEAD_DIM, "the head dimension", example);
        if ((long) heads * dim != listSize) {
            throw new UserError(path, "column " + column + " has list size " + listSize,
                    lse ? "heads = " + heads : "heads * head_dim = " + heads + " * " + dim + " = " + (long) heads * dim);
        }
        if ((long) heads * dim > Integer.MAX_VALUE / 4) {
            throw new UserError(path, "has " + heads + " heads of head_dim " + dim, "heads * head_dim below 2^29");
        }
        long[] starts = new long[blocks.size()];
        long rows = 0;
        SeekableByteChannel ch = in.channel();
        for (int b = 0; b < blocks.size(); b++) {
            ArrowBlock block = blocks.get(b);
            starts[b] = rows;
            rows += batchRows(in, ch, size, block, b, column, nodeIndex, listSize);
        }
        if (blocks.isEmpty() || rows == 0) {
            throw new UserError(path, "has 0 rows (" + blocks.size() + " record batches)", "at least one token");
        }
        if (rows > Integer.MAX_VALUE) {
            throw new UserError(path, "has " + rows + " rows", "at most " + Integer.MAX_VALUE + " tokens");
        }
        return new TensorHeader(path, location, TensorFormat.ARROW, dtype, (int) rows, heads, dim, lse, column, 0, starts);
    }

    private static int checkMagic(Storage.InputFile in, long size) throws IOException {
        String path = in.path;
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(8, size));
        in.readFully(0, head);
        byte[] h = head.array();
        if (!startsWith(h, MAGIC)) {
            if (h.length >= 4 && (h[0] & 0xff) == 0xff && (h[1] & 0xff) == 0xff && (h[2] & 0xff) == 0xff && (h[3] & 0xff) == 0xff) {
                // the stream format has no footer, so its record batches cannot be found without reading them all
                throw new UserError(path, "is an Arrow IPC stream (what Arrow JS tableToIPC(table) and"
                        + " pyarrow.ipc.new_stream write), which LongAttn does not read", EXPECTED_FILE);
            }
            if (startsWith(h, "FEA1".getBytes(StandardCharsets.US_ASCII))) {
                throw new UserError(path, "is a Feather v1 file", "Feather v2 / " + EXPECTED_FILE);
            }
            if (startsWith(h, "PAR1".getBytes(StandardCharsets.US_ASCII))) {
                throw new UserError(path, "is a Parquet file", EXPECTED_FILE);
            }
            if (startsWith(h, NpyFormat.MAGIC)) {
                throw new UserError(path, "is a .npy file with an Arrow extension", EXPECTED_FILE + " or the extension .npy");
            }
            throw new UserError(path, "is not an Arrow IPC file (it does not start with ARROW1)", EXPECTED_FILE);
        }
        // magic (6) + padding (2) + footer length (4) + magic (6) at least
        if (size < 18) throw truncated(path, "its " + size + " bytes cannot hold a footer");
        ByteBuffer tail = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        in.readFully(size - 10, tail);
        byte[] t = tail.array();
        for (int i = 0; i < MAGIC.length; i++) {
            if (t[4 + i] != MAGIC[i]) throw truncated(path, "it does not end with the ARROW1 footer magic");
        }
        int footerLen = tail.getInt(0);
        if (footerLen <= 0 || footerLen > size - 18) throw truncated(path, "its footer length " + footerLen + " is impossible");
        return footerLen;
    }

    /** Rows of one record batch, from its metadata message; validates position, codec, nulls and lengths. */
    private static long batchRows(Storage.InputFile in, SeekableByteChannel ch, long size, ArrowBlock block, int b,
                                  String column, int nodeIndex, int listSize) throws IOException {
        String path = in.path;
        if (block.getOffset() < 8 || block.getMetadataLength() <= 0 || block.getBodyLength() < 0
                || block.getOffset() + block.getMetadataLength() + block.getBodyLength() > size - 10) {
            throw truncated(path, "record batch " + b + " lies outside the file");
        }
        RecordBatch rb;
        try {
            ch.position(block.getOffset());
            MessageMetadataResult m = MessageSerializer.readMessage(new ReadChannel(ch));
            if (m == null) throw corrupt(path, "record batch " + b + " has no message", null);
            Message msg = m.getMessage();
            if (msg.headerType() != MessageHeader.RecordBatch) {
                throw corrupt(path, "block " + b + " is not a record batch (message type "
                        + MessageHeader.name(msg.headerType()) + ")", null);
            }
            rb = (RecordBatch) msg.header(new RecordBatch());
            if (rb == null) throw corrupt(path, "record batch " + b + " has no header", null);
            if (rb.compression() != null && !Compression.readable(rb.compression().codec())) {
                byte codec = rb.compression().codec();
                String name = codec >= 0 && codec < CompressionType.names.length ? CompressionType.name(codec) : "codec " + codec;
                throw new UserError(path, "record batch " + b + " is compressed with " + name + ", which is not supported",
                        "uncompressed, LZ4_FRAME or ZSTD record batches");
            }
            long rows = rb.length();
            if (rows < 0 || rb.nodesLength() < nodeIndex + 2) {
                throw corrupt(path, "record batch " + b + " has inconsistent metadata", null);
            }
            FieldNode list = rb.nodes(nodeIndex);
            FieldNode items = rb.nodes(nodeIndex + 1);
            if (list.length() != rows || items.length() != rows * listSize) {
                throw corrupt(path, "record batch " + b + " of column " + column + " has inconsistent lengths", null);
            }
            // Arrow's reader trusts these: a buffer past its body fails midway through a load and leaks what it had read
            for (int i = 0; i < rb.buffersLength(); i++) {
                org.apache.arrow.flatbuf.Buffer buf = rb.buffers(i);
                if (buf.offset() < 0 || buf.length() < 0 || buf.offset() + buf.length() > block.getBodyLength()) {
                    throw corrupt(path, "record batch " + b + " has a buffer outside its body", null);
                }
            }
            if (list.nullCount() != 0) {
                throw new UserError(path, "column " + column + " has " + list.nullCount() + " null rows in record batch " + b,
                        "no nulls");
            }
            if (items.nullCount() != 0) {
                throw new UserError(path, "column " + column + " has " + items.nullCount() + " null values in record batch " + b,
                        "no nulls");
            }
            return rows;
        } catch (UserError e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupt(path, "record batch " + b + " cannot be read: " + Storage.oneLine(e), e);
        }
    }

    static UserError corrupt(String path, String what, Throwable cause) {
        return new UserError(path, "is corrupt or not an Arrow IPC file (" + what + ")", "a valid " + ARROW_FILE, cause);
    }

    static UserError truncated(String path, String what) {
        return new UserError(path, "is truncated or corrupt (" + what + ")", "a complete " + ARROW_FILE);
    }

    /** Schema metadata, with the column's own field metadata as a fallback for keys the schema lacks. */
    private static Map<String, String> metadata(Schema schema, Field field) {
        Map<String, String> m = new java.util.HashMap<>();
        if (field.getMetadata() != null) m.putAll(field.getMetadata());
        if (schema.getCustomMetadata() != null) m.putAll(schema.getCustomMetadata());
        return m;
    }

    private static Integer intOrNull(String s) {
        if (s == null) return null;
        try {
            int v = Integer.parseInt(s.trim());
            return v > 0 ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Schema metadata for this file's own column: its list size split into heads and head_dim as far as
     * the metadata it has allows (a list of 64 with head_dim 16 present: heads 4).
     */
    static String metadataExample(int listSize, Integer heads, Integer dim, boolean lse) {
        if (lse) return "{'" + META_HEADS + "': '" + listSize + "'}";
        String h, d;
        if (dim != null && listSize % dim == 0) {
            h = String.valueOf(listSize / dim);
            d = String.valueOf(dim);
        } else if (heads != null && listSize % heads == 0) {
            h = String.valueOf(heads);
            d = String.valueOf(listSize / heads);
        } else {
            h = "H";
            d = "D";
        }
        String text = "{'" + META_HEADS + "': '" + h + "', '" + META_HEAD_DIM + "': '" + d + "'}";
        return h.equals("H") ? text + " with H * D = " + listSize : text;
    }

    private static int positiveMeta(String path, Map<String, String> meta, String key, String what, String example) {
        String s = meta.get(key);
        if (s == null) {
            throw new UserError(path, "has no schema metadata " + key, what + " as schema metadata " + key + ", here "
                    + example + " (pyarrow: schema.with_metadata; Arrow JS: new Schema(fields, new Map([...])))");
        }
        Integer v = intOrNull(s);
        if (v == null) {
            throw new UserError(path, "schema metadata " + key + " is '" + s + "'", "a positive integer (" + what + ")");
        }
        return v;
    }

    /** IPC field nodes a field takes: itself and its children, depth first (a dictionary-encoded field: its indices). */
    static int nodeCount(Field f) {
        if (f.getDictionary() != null) return 1;
        int n = 1;
        for (Field c : f.getChildren()) n += nodeCount(c);
        return n;
    }

    /** A readable name of a field's type: float32, FixedSizeList<float64, 128>, List<float32>, ... */
    static String typeName(Field f) {
        ArrowType t = f.getType();
        List<Field> ch = f.getChildren();
        String child = ch.isEmpty() ? "?" : typeName(ch.get(0));
        switch (t.getTypeID()) {
            case FloatingPoint:
                switch (((ArrowType.FloatingPoint) t).getPrecision()) {
                    case HALF: return "float16";
                    case SINGLE: return "float32";
                    default: return "float64";
                }
            case Int: {
                ArrowType.Int i = (ArrowType.Int) t;
                return (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
            }
            case FixedSizeList:
                return "FixedSizeList<" + child + ", " + ((ArrowType.FixedSizeList) t).getListSize() + ">";
            case List:
                return "List<" + child + ">";
            case LargeList:
                return "LargeList<" + child + ">";
            case ListView:
                return "ListView<" + child + ">";
            case Utf8:
                return "string";
            case Bool:
                return "bool";
            default:
                return t.toString();
        }
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (b[i] != prefix[i]) return false;
        return true;
    }
}
