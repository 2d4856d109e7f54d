package io.longattn.job;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Warnings and errors logged through Log4j (Spark, Arrow) in this JVM: on a terminal they would precede the one line. */
public final class LoggedWarnings {
    private static List<String> events;

    private LoggedWarnings() {
    }

    /** Starts capturing (once per JVM) and returns the live list of "LEVEL logger: message" lines. */
    public static synchronized List<String> capture() {
        if (events != null) return events;
        events = Collections.synchronizedList(new ArrayList<>());
        List<String> sink = events;
        var ctx = (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
        var appender = new org.apache.logging.log4j.core.appender.AbstractAppender("longattn-test-warnings", null, null, true,
                org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
            @Override
            public void append(org.apache.logging.log4j.core.LogEvent e) {
                if (e.getLevel().isMoreSpecificThan(org.apache.logging.log4j.Level.WARN)) {
                    sink.add(e.getLevel() + " " + e.getLoggerName() + ": " + e.getMessage().getFormattedMessage());
                }
            }
        };
        appender.start();
        ctx.getConfiguration().addAppender(appender);
        ctx.getConfiguration().getRootLogger().addAppender(appender, org.apache.logging.log4j.Level.WARN, null);
        ctx.updateLoggers();
        return events;
    }
}
