package io.longattn.job.scale;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The processes the experiment started (cluster daemons, point drivers), ended by one shutdown hook when the
 * JVM exits before they are (Ctrl-C, a kill): a cluster left running would hold its ports and cores.
 */
final class ChildProcesses {
    private static final Set<Process> LIVE = new LinkedHashSet<>();
    private static boolean hooked;

    private ChildProcesses() {
    }

    static synchronized void add(Process p) {
        if (!hooked) {
            Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::endAll, "longattn-scale-cleanup"));
            hooked = true;
        }
        LIVE.add(p);
    }

    static synchronized void remove(Process p) {
        LIVE.remove(p);
    }

    private static void endAll() {
        List<Process> all;
        synchronized (ChildProcesses.class) {
            all = new ArrayList<>(LIVE);
        }
        // newest first: drivers and workers before the master
        for (int i = all.size() - 1; i >= 0; i--) end(all.get(i), 5);
    }

    /**
     * Ends a process and what it started (a worker's executors): politely, then by force after the grace
     * seconds; the descendants are listed first, since they are re-parented once their parent has gone.
     */
    static void end(Process p, long graceSeconds) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        p.destroy();
        try {
            if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(graceSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle h : tree) {
            if (h.isAlive()) h.destroyForcibly();
        }
        remove(p);
    }
}
