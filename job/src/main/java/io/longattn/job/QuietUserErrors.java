package io.longattn.job;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.filter.AbstractFilter;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps Spark from logging a user's mistake found inside a task: the executor's "Exception in task", the
 * scheduler's "Lost task" with the remote trace, "failed N times; aborting job" and the cancelled siblings
 * would print a hundred lines of traces before the CLI's one line. Events about anything else pass: a bug
 * inside a task is still logged in full.
 */
public final class QuietUserErrors extends AbstractFilter {
    private static final String USER_ERROR = UserError.class.getName();
    private static final Pattern STAGE = Pattern.compile("in stage (\\d+\\.\\d+)");
    private static volatile boolean installed;

    /** Stages in which a task failed with a user error: what the scheduler says about them next is about that. */
    private final Set<String> stages = ConcurrentHashMap.newKeySet();

    private QuietUserErrors() {
        super(Result.DENY, Result.NEUTRAL);
    }

    /** Adds the filter to every logger of this JVM's Log4j configuration (once; a no-op without Log4j core). */
    public static synchronized void install() {
        if (installed) return;
        installed = true;
        try {
            if (!(LogManager.getContext(false) instanceof LoggerContext ctx)) return;
            QuietUserErrors filter = new QuietUserErrors();
            filter.start();
            Configuration config = ctx.getConfiguration();
            config.getRootLogger().addFilter(filter);
            for (LoggerConfig lc : config.getLoggers().values()) {
                if (lc != config.getRootLogger()) lc.addFilter(filter);
            }
            ctx.updateLoggers();
        } catch (LinkageError | RuntimeException e) {
            // another logging backend: Spark's lines stay as they are
        }
    }

    @Override
    public Result filter(LogEvent event) {
        if (event.getLevel().isLessSpecificThan(Level.INFO)) return Result.NEUTRAL;
        String message = event.getMessage() == null ? "" : event.getMessage().getFormattedMessage();
        if (message == null) message = "";
        if (causedByUserError(event.getThrown()) || message.contains(USER_ERROR)) {
            Matcher m = STAGE.matcher(message);
            if (m.find()) stages.add(m.group(1));
            return Result.DENY;
        }
        Matcher m = STAGE.matcher(message);
        if (m.find() && stages.contains(m.group(1))) return Result.DENY;
        return Result.NEUTRAL;
    }

    static boolean causedByUserError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UserError) return true;
            if (c.getMessage() != null && c.getMessage().contains(USER_ERROR)) return true;
        }
        return false;
    }
}
