package io.longattn.job;

import org.apache.spark.SecurityManager;
import org.apache.spark.SparkConf;
import org.apache.spark.rpc.RpcAddress;
import org.apache.spark.rpc.RpcEnv;
import scala.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Before a job starts Spark on a standalone cluster: the Master answers and accepts this job's
 * authentication. Spark itself retries an unreachable or refusing Master for 60 s and then fails with
 * traces; this says what is wrong in one line within seconds.
 */
final class MasterCheck {
    /** How long a Master may take to accept a connection and answer a lookup. */
    static final int TIMEOUT_SECONDS = 10;

    private MasterCheck() {
    }

    static void check(SparkConf conf) {
        String master = conf.get("spark.master", "");
        if (!master.startsWith("spark://")) return;
        String expected = "a running standalone Master (bin/local-cluster url prints it)";
        RpcAddress reachable = null;
        String why = null;
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            RpcAddress a;
            try {
                a = RpcAddress.fromSparkURL("spark://" + hostPort.strip());
            } catch (RuntimeException e) {
                throw new UserError("--master", master + " is not a valid master URL (" + e.getMessage() + ")",
                        "spark://HOST:PORT[,HOST:PORT...]");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(a.host(), a.port()), TIMEOUT_SECONDS * 1000);
                reachable = a;
                break;
            } catch (IOException | RuntimeException e) {
                why = a.hostPort() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        }
        if (reachable == null) throw new UserError("--master", master + " cannot be reached (" + why + ")", expected);
        SparkConf probe = conf.clone().set("spark.rpc.lookupTimeout", TIMEOUT_SECONDS + "s")
                .set("spark.rpc.askTimeout", TIMEOUT_SECONDS + "s");
        SecurityManager security = new SecurityManager(probe, Option.empty(), SecurityManager.$lessinit$greater$default$3());
        try {
            security.initializeAuth();
        } catch (IllegalArgumentException e) {
            throw new UserError("spark.authenticate", "is true but no secret is set", "the cluster's secret in the environment"
                    + " variable _SPARK_AUTH_SECRET or in spark.authenticate.secret (bin/local-cluster secret prints it)");
        }
        RpcEnv env = RpcEnv.create("longattn-master-check", probe.get("spark.driver.host", "127.0.0.1"), 0, probe, security, true);
        // a refused handshake is logged with its trace by the client factory: the line below says it
        String quiet = "org.apache.spark.network.client.TransportClientFactory";
        org.apache.logging.log4j.Level before = setLevel(quiet, org.apache.logging.log4j.Level.OFF);
        try {
            env.setupEndpointRef(reachable, "Master");
        } catch (Exception e) { // SparkException is checked in Java's eyes, though Scala throws it undeclared
            String auth = conf.getBoolean("spark.authenticate", false) ? "with this job's secret" : "without authentication";
            throw new UserError("--master", master + " did not accept a connection " + auth + " within " + TIMEOUT_SECONDS
                    + " s (" + rootMessage(e) + ")", "spark.authenticate=true and the cluster's secret (_SPARK_AUTH_SECRET) for a"
                    + " cluster that authenticates, or " + expected);
        } finally {
            env.shutdown();
            setLevel(quiet, before);
        }
    }

    /** Sets a Log4j logger's level and returns the one it had (null without Log4j core). */
    private static org.apache.logging.log4j.Level setLevel(String logger, org.apache.logging.log4j.Level level) {
        try {
            org.apache.logging.log4j.Level old = org.apache.logging.log4j.LogManager.getLogger(logger).getLevel();
            if (level != null) org.apache.logging.log4j.core.config.Configurator.setLevel(logger, level);
            return old;
        } catch (LinkageError | RuntimeException e) {
            return null;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
