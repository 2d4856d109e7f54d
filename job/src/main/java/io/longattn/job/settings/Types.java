package io.longattn.job.settings;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The value types of settings: checked integers, byte sizes, booleans and named choices. */
final class Types {
    private Types() {
    }

    static Setting.Type<Integer> integer(int min, int max) {
        return new Setting.Type<>() {
            @Override
            public Integer parse(String raw) {
                int v = Integer.parseInt(raw);
                if (v < min || v > max) throw new IllegalArgumentException();
                return v;
            }

            @Override
            public String name() {
                return "int";
            }

            @Override
            public String allowed() {
                return min + ".." + max;
            }

            @Override
            public String paramLabel() {
                return "N";
            }

            @Override
            public String problem() {
                return "is not an integer in " + allowed();
            }

            @Override
            public String expected() {
                return "an integer in " + allowed();
            }
        };
    }

    static Setting.Type<Long> bytes(long min) {
        return new Setting.Type<>() {
            @Override
            public Long parse(String raw) {
                long v = ByteSize.parse(raw);
                if (v < min) throw new IllegalArgumentException();
                return v;
            }

            @Override
            public String name() {
                return "bytes";
            }

            @Override
            public String allowed() {
                return ">= " + min + " (k, m, g suffixes)";
            }

            @Override
            public String paramLabel() {
                return "BYTES";
            }

            @Override
            public String problem() {
                return "is not a byte size of at least " + min;
            }

            @Override
            public String expected() {
                return "a size such as 268435456, 256m or 2g";
            }
        };
    }

    static final Setting.Type<Boolean> BOOLEAN = new Setting.Type<>() {
        @Override
        public Boolean parse(String raw) {
            return switch (raw.toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException();
            };
        }

        @Override
        public String name() {
            return "boolean";
        }

        @Override
        public String allowed() {
            return "true, false";
        }

        @Override
        public String paramLabel() {
            return "true|false";
        }

        @Override
        public String problem() {
            return "is not a boolean";
        }

        @Override
        public String expected() {
            return "true or false";
        }
    };

    /** Free text, checked where it is used (a kernel name: which kernels exist depends on the build). */
    static Setting.Type<String> text(String allowed, String label) {
        return new Setting.Type<>() {
            @Override
            public String parse(String raw) {
                if (raw.isEmpty()) throw new IllegalArgumentException();
                return raw;
            }

            @Override
            public String name() {
                return "string";
            }

            @Override
            public String allowed() {
                return allowed;
            }

            @Override
            public String paramLabel() {
                return label;
            }

            @Override
            public String problem() {
                return "is empty";
            }

            @Override
            public String expected() {
                return allowed;
            }
        };
    }

    static <E> Setting.Type<E> choice(Map<String, E> choices) {
        Map<String, E> names = new LinkedHashMap<>(choices);
        String list = String.join(", ", names.keySet());
        return new Setting.Type<>() {
            @Override
            public E parse(String raw) {
                E v = names.get(raw.toLowerCase(Locale.ROOT));
                if (v == null) throw new IllegalArgumentException();
                return v;
            }

            @Override
            public String name() {
                return "choice";
            }

            @Override
            public String allowed() {
                return list;
            }

            @Override
            public String paramLabel() {
                return String.join("|", names.keySet());
            }

            @Override
            public String problem() {
                return "is not one of " + list;
            }

            @Override
            public String expected() {
                return "one of " + list;
            }

            @Override
            public String format(E value) {
                for (var e : names.entrySet()) if (e.getValue().equals(value)) return e.getKey();
                throw new IllegalArgumentException("not a choice: " + value);
            }
        };
    }
}
