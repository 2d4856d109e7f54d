package io.longattn.job.spark;

import io.longattn.job.Plural;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.api.java.JavaSparkContext;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Where a job's executors run. When every one runs on the driver's machine (a local master, or a standalone
 * cluster on one host, as `longattn scale` starts), they see the driver's files at the same paths: each can
 * read K/V from the input files itself and write its rows in place, instead of receiving a broadcast and
 * sending every result through the driver.
 */
public record ExecutorHosts(boolean onThisMachine, String reason) {

    /**
     * From the master URL where it decides (local, local-cluster, a standalone master on a loopback address, which
     * only this machine's workers can reach), else from the executors registered now (a cluster job without
     * --partitions waited for them before planning).
     */
    public static ExecutorHosts of(JavaSparkContext jsc) {
        return of(jsc.master(), () -> {
            List<String> hosts = new ArrayList<>();
            for (SparkExecutorInfo e : jsc.sc().statusTracker().getExecutorInfos()) hosts.add(e.host());
            return hosts;
        });
    }

    /** @param registered the hosts of the registered block managers, the driver's included (as Spark's status tracker lists them) */
    static ExecutorHosts of(String master, Supplier<List<String>> registered) {
        if (master.startsWith("local[") || master.equals("local")) return new ExecutorHosts(true, "local master");
        if (master.startsWith("local-cluster[")) return new ExecutorHosts(true, "local-cluster master: every executor on this machine");
        if (master.startsWith("spark://") && loopbackOnly(master.substring("spark://".length()))) {
            return new ExecutorHosts(true, "master " + master + " on a loopback address: every executor on this machine");
        }
        List<String> listed = registered.get();
        Set<String> hosts = new TreeSet<>(listed);
        // the status tracker lists the driver's block manager too
        int executors = Math.max(0, listed.size() - 1);
        if (executors == 0) return new ExecutorHosts(false, "no executor has registered yet");
        for (String h : hosts) {
            if (!isThisMachine(h)) {
                return new ExecutorHosts(false, "executors on " + Plural.of(hosts.size(), "host") + " (" + h + " is another machine)");
            }
        }
        return new ExecutorHosts(true, "all " + Plural.of(executors, "executor") + " on this machine");
    }

    /** Whether every host:port of a standalone master list (h1:p1,h2:p2 for standby masters) is a loopback address. */
    static boolean loopbackOnly(String hostPorts) {
        for (String hp : hostPorts.split(",")) {
            int colon = hp.lastIndexOf(':');
            String host = colon < 0 ? hp : hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            try {
                if (host.isEmpty() || !InetAddress.getByName(host).isLoopbackAddress()) return false;
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return true;
    }

    /** Whether a host name or address names this machine (loopback, or an address of one of its interfaces). */
    static boolean isThisMachine(String host) {
        try {
            InetAddress a = InetAddress.getByName(host);
            return a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (UnknownHostException | SocketException e) {
            return false;
        }
    }
}
