package io.longattn.job.settings;

import io.longattn.job.UserError;

import java.util.Map;
import java.util.Objects;

/**
 * One setting, declared once: its Spark configuration key, optional command-line flag, type, default,
 * allowed values and meaning. The CLI options, `--conf spark.longattn.*`, `longattn settings` and the
 * README table are all made from these declarations. {@link #get} parses and checks a value and
 * reports a bad one as a {@link UserError} naming the flag (or the key when there is no flag).
 *
 * @param <T> the value type
 */
public final class Setting<T> {
    private final String key;
    private final String flag;
    private final String paramLabel;
    private final String doc;
    private final Type<T> type;
    private final T defaultValue;

    private Setting(String key, String flag, String paramLabel, String doc, Type<T> type, T defaultValue) {
        this.key = key;
        this.flag = flag;
        this.paramLabel = paramLabel;
        this.doc = doc;
        this.type = type;
        this.defaultValue = defaultValue;
    }

    public static Builder builder(String key) {
        return new Builder(key);
    }

    public String key() {
        return key;
    }

    /** The command-line flag, or null when the setting is only a configuration key. */
    public String flag() {
        return flag;
    }

    public String paramLabel() {
        return paramLabel != null ? paramLabel : type.paramLabel();
    }

    public String doc() {
        return doc;
    }

    public String typeName() {
        return type.name();
    }

    public String allowed() {
        return type.allowed();
    }

    public T defaultValue() {
        return defaultValue;
    }

    public String defaultText() {
        return type.format(defaultValue);
    }

    /** A value as it is written in a configuration. */
    public String format(T value) {
        return type.format(value);
    }

    /** The flag the user typed, or the configuration key: what an error line names. */
    public String subject() {
        return flag != null ? flag : key;
    }

    /** The value in conf (or the default), parsed and checked. */
    public T get(Map<String, String> conf) {
        String raw = conf.get(key);
        return raw == null ? defaultValue : parse(raw);
    }

    /** Parses and checks one value. */
    public T parse(String raw) {
        try {
            return type.parse(raw.trim());
        } catch (IllegalArgumentException e) {
            throw new UserError(subject(), "'" + raw + "' " + type.problem(), type.expected());
        }
    }

    /** How a type reads, checks and prints its values. */
    interface Type<T> {
        /** The value, or an IllegalArgumentException when it is malformed or out of range. */
        T parse(String raw);

        String name();

        String allowed();

        String paramLabel();

        /** "is not ..." for the error line. */
        String problem();

        /** "expected ..." for the error line. */
        String expected();

        default String format(T value) {
            return String.valueOf(value);
        }
    }

    /** Collects a setting's description, then its type and default create it. */
    public static final class Builder {
        private final String key;
        private String flag;
        private String paramLabel;
        private String doc = "";

        private Builder(String key) {
            if (!key.startsWith("spark.longattn.")) throw new IllegalArgumentException("setting key outside spark.longattn.: " + key);
            this.key = key;
        }

        public Builder flag(String flag) {
            this.flag = flag;
            return this;
        }

        public Builder paramLabel(String label) {
            this.paramLabel = label;
            return this;
        }

        public Builder doc(String doc) {
            this.doc = doc;
            return this;
        }

        /** An integer in [min, max]. */
        public Setting<Integer> intConf(int min, int max, int defaultValue) {
            return create(Types.integer(min, max), defaultValue);
        }

        /** A byte size (123, 64k, 256m, 2g) of at least min. */
        public Setting<Long> bytesConf(long min, long defaultValue) {
            return create(Types.bytes(min), defaultValue);
        }

        public Setting<Boolean> booleanConf(boolean defaultValue) {
            return create(Types.BOOLEAN, defaultValue);
        }

        /** Text checked by its user; allowed describes the legal values, label is the flag's parameter. */
        public Setting<String> stringConf(String allowed, String label, String defaultValue) {
            return create(Types.text(allowed, label), defaultValue);
        }

        /** One of the names of choices (in the order given), each standing for a value. */
        public <E> Setting<E> choiceConf(Map<String, E> choices, E defaultValue) {
            return create(Types.choice(choices), defaultValue);
        }

        private <T> Setting<T> create(Type<T> type, T defaultValue) {
            Objects.requireNonNull(defaultValue, key);
            type.parse(type.format(defaultValue)); // the default is a legal value
            return new Setting<>(key, flag, paramLabel, doc, type, defaultValue);
        }
    }
}
