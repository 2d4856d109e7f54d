package io.longattn.job;

import io.longattn.job.report.JobSummary;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.MessageSerializer;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** --compression lz4|zstd: the job's Arrow outputs come out compressed and hold the same bits. */
class CompressedOutputJobTest {
    static JavaSparkContext jsc;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        Map<String, String> conf = new HashMap<>();
        conf.put("spark.master", "local[2]");
        jsc = new JavaSparkContext(JobLauncher.sparkConf(conf, null));
        jsc.setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        jsc.stop();
    }

    JobSummary run(String[] qkv, String out, String lse, String compression) {
        JobRequest r = JobRequest.builder(qkv[0], qkv[1], qkv[2], out).lse(lse).causal(true)
                .conf("spark.longattn.progressSeconds", "0").conf("spark.longattn.compression", compression).build();
        return JobLauncher.execute(JobLauncher.prepare(r, JobEndToEndTest.QUIET), jsc, JobEndToEndTest.QUIET);
    }

    /** The codec of the file's first record batch, -1 for none. */
    static int codec(String path) throws Exception {
        try (FileChannel ch = FileChannel.open(Path.of(path));
             RootAllocator alloc = new RootAllocator();
             ArrowFileReader reader = new ArrowFileReader(ch, alloc)) {
            ArrowBlock block = reader.getRecordBlocks().get(0);
            ch.position(block.getOffset());
            Message m = MessageSerializer.readMessage(new ReadChannel(ch)).getMessage();
            RecordBatch rb = (RecordBatch) m.header(new RecordBatch());
            return rb.compression() == null ? -1 : rb.compression().codec();
        }
    }

    @Test
    void compressedOutputsHoldTheSameBits() throws Exception {
        String[] qkv = TestData.write(dir, ".arrow", 200, 200, 2, 1, 16, 16, 5);
        String plain = dir.resolve("o.arrow").toString(), plainLse = dir.resolve("lse.arrow").toString();
        run(qkv, plain, plainLse, "none");
        for (String c : new String[]{"lz4", "zstd"}) {
            String o = dir.resolve("o-" + c + ".feather").toString(), lse = dir.resolve("lse-" + c + ".feather").toString();
            JobSummary s = run(qkv, o, lse, c);
            assertArrayEquals(JobEndToEndTest.read(plain, "o"), JobEndToEndTest.read(o, "o"), c);
            assertArrayEquals(JobEndToEndTest.readLse(plainLse), JobEndToEndTest.readLse(lse), c);
            assertEquals(c.equals("lz4") ? CompressionType.LZ4_FRAME : CompressionType.ZSTD, codec(o), o);
            assertEquals(c.equals("lz4") ? CompressionType.LZ4_FRAME : CompressionType.ZSTD, codec(lse), lse);
            JobEndToEndTest.assertMatchesReference(s.job().spec(), qkv, o, lse);
        }
    }
}
