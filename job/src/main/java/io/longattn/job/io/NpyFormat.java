package io.longattn.job.io;

import io.longattn.job.UserError;

import java.io.EOFException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * numpy's .npy format: the header (magic, version, a Python dict literal) as numpy reads and writes it.
 * See numpy/lib/format.py: the header is padded with spaces and a newline so that the data starts at a
 * multiple of 64 bytes, after 21 - len(repr(shape[0])) spare spaces that let a writer grow axis 0 in place.
 */
final class NpyFormat {
    private NpyFormat() {
    }

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    static final int ARRAY_ALIGN = 64;
    static final int GROWTH_AXIS_MAX_DIGITS = 21;
    private static final int MAX_HEADER = 1 << 20;
    static final String EXPECTED_DTYPE = "float32 (<f4) or float16 (<f2)";

    /** What a .npy header says. */
    static final class Parsed {
        final String descr;
        final boolean fortranOrder;
        final long[] shape;
        final long dataOffset;

        Parsed(String descr, boolean fortranOrder, long[] shape, long dataOffset) {
            this.descr = descr;
            this.fortranOrder = fortranOrder;
            this.shape = shape;
            this.dataOffset = dataOffset;
        }
    }

    // ------------------------------------------------------------------ writing

    /** The header bytes numpy.save writes for a C-order array of this descr and shape (version 1.0, else 2.0). */
    static byte[] header(String descr, long[] shape) {
        StringBuilder sb = new StringBuilder();
        sb.append("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ").append(shapeRepr(shape)).append(", }");
        if (shape.length > 0) {
            int spare = GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length();
            for (int i = 0; i < spare; i++) sb.append(' ');
        }
        byte[] text = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        int hlen = text.length + 1;
        int prefix = MAGIC.length + 2 + 2;
        int padlen = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
        boolean v2 = hlen + padlen > 0xffff;
        if (v2) {
            prefix = MAGIC.length + 2 + 4;
            padlen = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
        }
        int total = prefix + hlen + padlen;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
        if (v2) b.putInt(hlen + padlen);
        else b.putShort((short) (hlen + padlen));
        b.put(text);
        for (int i = 0; i < padlen; i++) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    /** Python's repr of a tuple of ints: (5,) or (2, 3, 4). */
    static String shapeRepr(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        if (shape.length == 1) sb.append(',');
        return sb.append(')').toString();
    }

    // ------------------------------------------------------------------ reading

    /** Reads and parses the header; every problem is a UserError naming the file. */
    static Parsed readHeader(Storage.InputFile in) throws IOException {
        String path = in.path;
        long size = in.size();
        if (size < 10) {
            throw new UserError(path, "is too short to be a .npy file (" + size + " bytes)", "a file written by numpy.save");
        }
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        pre.limit((int) Math.min(12, size));
        in.readFully(0, pre);
        pre.flip();
        for (int i = 0; i < MAGIC.length; i++) {
            if (pre.get(i) != MAGIC[i]) {
                throw new UserError(path, "is not a .npy file (bad magic " + hex(pre, 6) + ")",
                        "a file written by numpy.save (starting with \\x93NUMPY)");
            }
        }
        int major = pre.get(6) & 0xff, minor = pre.get(7) & 0xff;
        long hlen;
        int prefix;
        if (major == 1) {
            hlen = pre.getShort(8) & 0xffff;
            prefix = 10;
        } else if (major == 2 || major == 3) {
            if (size < 12) throw new UserError(path, "has a truncated .npy header", "a complete file written by numpy.save");
            hlen = pre.getInt(8) & 0xffffffffL;
            prefix = 12;
        } else {
            throw new UserError(path, "has .npy format version " + major + "." + minor + ", which is not supported",
                    "version 1.0, 2.0 or 3.0");
        }
        if (hlen > MAX_HEADER) {
            throw new UserError(path, "has a .npy header of " + hlen + " bytes, which is not plausible", "a header under 1 MiB");
        }
        if (prefix + hlen > size) {
            throw new UserError(path, "has a truncated .npy header (the header needs " + (prefix + hlen)
                    + " bytes, the file holds " + size + ")", "a complete file written by numpy.save");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) hlen);
        try {
            in.readFully(prefix, hb);
        } catch (EOFException e) {
            throw new UserError(path, "has a truncated .npy header", "a complete file written by numpy.save");
        }
        String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).strip();
        Object lit;
        try {
            lit = new LiteralParser(text).parseAll();
        } catch (IllegalArgumentException e) {
            throw new UserError(path, "has an unparsable .npy header (" + e.getMessage() + "): " + abbreviate(text),
                    "a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (S, H, D)}");
        }
        if (!(lit instanceof Map)) {
            throw new UserError(path, "has an unparsable .npy header (not a dict): " + abbreviate(text),
                    "a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (S, H, D)}");
        }
        Map<?, ?> d = (Map<?, ?>) lit;
        for (String key : new String[]{"descr", "fortran_order", "shape"}) {
            if (!d.containsKey(key)) {
                throw new UserError(path, "has a .npy header without '" + key + "': " + abbreviate(text),
                        "the keys 'descr', 'fortran_order' and 'shape'");
            }
        }
        Object descr = d.get("descr");
        if (!(descr instanceof String)) {
            throw new UserError(path, "has the structured dtype " + abbreviate(repr(descr)) + ", which is not supported",
                    EXPECTED_DTYPE);
        }
        Object fo = d.get("fortran_order");
        if (!(fo instanceof Boolean)) {
            throw new UserError(path, "has a .npy header whose fortran_order is " + repr(fo), "True or False");
        }
        Object sh = d.get("shape");
        if (!(sh instanceof List)) {
            throw new UserError(path, "has a .npy header whose shape is " + repr(sh), "a tuple of integers");
        }
        List<?> dims = (List<?>) sh;
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            Object x = dims.get(i);
            if (!(x instanceof Long) || (Long) x < 0) {
                throw new UserError(path, "has a .npy header whose shape is " + repr(sh), "a tuple of non-negative integers");
            }
            shape[i] = (Long) x;
        }
        return new Parsed((String) descr, (Boolean) fo, shape, prefix + hlen);
    }

    /** numpy's name of a descr such as {@code <i4} (int32); the descr itself when unknown. */
    static String dtypeName(String descr) {
        if (descr.length() < 2) return descr;
        char order = descr.charAt(0);
        String rest = "<>|=".indexOf(order) >= 0 ? descr.substring(1) : descr;
        if (rest.isEmpty()) return descr;
        char kind = rest.charAt(0);
        int size;
        try {
            size = Integer.parseInt(rest.substring(1));
        } catch (NumberFormatException e) {
            return descr;
        }
        switch (kind) {
            case 'f': return "float" + 8 * size;
            case 'i': return "int" + 8 * size;
            case 'u': return "uint" + 8 * size;
            case 'c': return "complex" + 8 * size;
            case 'b': return size == 1 ? "bool" : descr;
            case '?': return "bool";
            case 'U': return "str";
            case 'S': return "bytes";
            case 'V': return "void" + 8 * size;
            case 'O': return "object";
            default: return descr;
        }
    }

    /**
     * The DType of a descr, or a UserError: only little-endian (or native/unspecified order) float32 and float16.
     */
    static DType dtypeOf(String path, String descr) {
        char order = descr.isEmpty() ? '?' : descr.charAt(0);
        String body = "<>|=".indexOf(order) >= 0 ? descr.substring(1) : descr;
        DType t = "f4".equals(body) ? DType.FLOAT32 : "f2".equals(body) ? DType.FLOAT16 : null;
        if (t == null) {
            throw new UserError(path, "dtype " + dtypeName(descr) + " (" + descr + ") is not supported", EXPECTED_DTYPE);
        }
        if (order == '>') {
            throw new UserError(path, "is big-endian (" + descr + "), which is not supported",
                    "little-endian " + EXPECTED_DTYPE + " (arr.astype('<" + body + "'))");
        }
        return t;
    }

    private static String hex(ByteBuffer b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.limit()); i++) sb.append(String.format("%02x", b.get(i) & 0xff));
        return sb.toString();
    }

    static String abbreviate(String s) {
        String t = s.replace('\n', ' ').strip();
        return t.length() <= 120 ? t : t.substring(0, 117) + "...";
    }

    static String repr(Object o) {
        if (o == null) return "None";
        if (o instanceof Boolean) return (Boolean) o ? "True" : "False";
        if (o instanceof String) return "'" + o + "'";
        if (o instanceof List) {
            StringBuilder sb = new StringBuilder("(");
            List<?> l = (List<?>) o;
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(", ");
                sb.append(repr(l.get(i)));
            }
            return sb.append(')').toString();
        }
        if (o instanceof Map) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                if (sb.length() > 1) sb.append(", ");
                sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return sb.append('}').toString();
        }
        return String.valueOf(o);
    }

    /**
     * A parser for the Python literals a .npy header holds: dicts, tuples, lists, strings, integers,
     * True/False/None. Tuples and lists become List, integers Long (BigInteger when too large).
     */
    static final class LiteralParser {
        /** numpy's own headers nest three deep (dict, shape tuple); a bound keeps hostile ones off the stack. */
        static final int MAX_NESTING = 32;

        private final String s;
        private int i;
        private int depth;

        LiteralParser(String s) {
            this.s = s;
        }

        Object parseAll() {
            Object v = value();
            ws();
            if (i != s.length()) throw error("unexpected '" + s.charAt(i) + "'");
            return v;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at character " + i);
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private Object value() {
            ws();
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            switch (c) {
                case '{': return nested(this::dict);
                case '(': return nested(() -> sequence('(', ')'));
                case '[': return nested(() -> sequence('[', ']'));
                case '\'': case '"': return string();
                default:
                    if (c == '-' || c == '+' || Character.isDigit(c)) return number();
                    if (Character.isLetter(c)) return word();
                    throw error("unexpected '" + c + "'");
            }
        }

        private Object nested(Supplier<Object> container) {
            if (++depth > MAX_NESTING) throw error("nested deeper than " + MAX_NESTING + " levels");
            Object v = container.get();
            depth--;
            return v;
        }

        private Map<Object, Object> dict() {
            i++;
            Map<Object, Object> m = new LinkedHashMap<>();
            while (true) {
                ws();
                if (i < s.length() && s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                Object k = value();
                ws();
                expect(':');
                Object v = value();
                m.put(k, v);
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                } else {
                    ws();
                    expect('}');
                    return m;
                }
            }
        }

        private List<Object> sequence(char open, char close) {
            i++;
            List<Object> l = new ArrayList<>();
            while (true) {
                ws();
                if (i < s.length() && s.charAt(i) == close) {
                    i++;
                    return l;
                }
                l.add(value());
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                } else {
                    expect(close);
                    return l;
                }
            }
        }

        private void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) {
                throw error("expected '" + c + "'" + (i < s.length() ? " but found '" + s.charAt(i) + "'" : " but the header ended"));
            }
            i++;
        }

        private String string() {
            char q = s.charAt(i++);
            StringBuilder sb = new StringBuilder();
            while (i < s.length() && s.charAt(i) != q) {
                char c = s.charAt(i++);
                if (c == '\\' && i < s.length()) c = s.charAt(i++);
                sb.append(c);
            }
            if (i >= s.length()) throw error("unterminated string");
            i++;
            return sb.toString();
        }

        private Object number() {
            int start = i;
            if (s.charAt(i) == '-' || s.charAt(i) == '+') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            String digits = s.substring(start, i);
            if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) i++; // Python 2 long
            if (i < s.length() && (s.charAt(i) == '.' || s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                throw error("a non-integer number");
            }
            if (digits.equals("-") || digits.equals("+") || digits.isEmpty()) throw error("a lone sign");
            BigInteger b = new BigInteger(digits);
            return b.bitLength() < 63 ? (Object) b.longValue() : b;
        }

        private Object word() {
            int start = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) i++;
            String w = s.substring(start, i);
            switch (w) {
                case "True": return Boolean.TRUE;
                case "False": return Boolean.FALSE;
                case "None": return null;
                default:
                    i = start;
                    throw error("unexpected name '" + w + "'");
            }
        }
    }
}
