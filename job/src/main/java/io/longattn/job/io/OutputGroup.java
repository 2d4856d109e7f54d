package io.longattn.job.io;

import io.longattn.job.UserError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The outputs of one job, committed as one: every file appears under its final name, or none does.
 * Outputs that must be new are published first (by hard links, undone if a later one fails), those that
 * replace a file last, so that a failed commit never leaves a new O beside a missing LSE or report.
 * Closing without a commit deletes every temporary file.
 */
public final class OutputGroup implements AutoCloseable {
    private final List<TensorWriter> writers = new ArrayList<>();
    private final List<PlacedNpyOutput> placed = new ArrayList<>();
    private final List<Storage.OutputFile> texts = new ArrayList<>();
    private boolean prepared;
    private boolean committed;
    private boolean closed;

    /** Adds a writer made by {@link TensorFiles#create} or {@link TensorFiles#createLse}; returns it. */
    public TensorWriter add(TensorWriter writer) {
        if (!(writer instanceof NpyTensorWriter) && !(writer instanceof ArrowTensorWriter)) {
            throw new IllegalArgumentException("not a writer of TensorFiles: " + writer);
        }
        check();
        writers.add(writer);
        return writer;
    }

    /** Adds an output whose rows the executors write in place; returns it. */
    public PlacedNpyOutput add(PlacedNpyOutput output) {
        check();
        placed.add(output);
        return output;
    }

    /**
     * Writes a text file (a report) under a temporary name now, to appear with the other outputs.
     * @throws UserError for a missing or unwritable directory, an existing file without overwrite, a full disk
     */
    public void addText(String path, String text, boolean overwrite) throws IOException {
        check();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Storage.OutputFile out = Storage.createOutput(path, overwrite, false, bytes.length);
        texts.add(out);
        WritableByteChannel ch = out.channel();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) ch.write(b);
        out.prepare();
    }

    private void check() {
        if (committed || closed) throw new IllegalStateException("outputs already committed or closed");
    }

    /**
     * Finishes every writer and publishes every output.
     * @throws UserError when an output that must be new appeared meanwhile (then nothing is published)
     */
    public void commit() throws IOException {
        prepare();
        List<Storage.OutputFile> files = new ArrayList<>();
        for (TensorWriter w : writers) files.add(outputOf(w));
        for (PlacedNpyOutput p : placed) files.add(p.output());
        files.addAll(texts);
        List<Storage.OutputFile> order = new ArrayList<>();
        for (Storage.OutputFile f : files) if (!f.overwrite) order.add(f);
        for (Storage.OutputFile f : files) if (f.overwrite) order.add(f);
        List<Storage.OutputFile> published = new ArrayList<>();
        try {
            for (Storage.OutputFile f : order) {
                f.prepare();
                f.publish();
                published.add(f);
            }
        } catch (IOException | RuntimeException e) {
            for (int i = published.size() - 1; i >= 0; i--) published.get(i).unpublish();
            close();
            throw e;
        }
        committed = true;
        for (Storage.OutputFile f : order) f.finishCommit();
        for (TensorWriter w : writers) markCommitted(w);
        for (PlacedNpyOutput p : placed) p.markCommitted();
    }

    /**
     * Finishes every tensor output and forces its bytes to disk (the slow half of a commit, timed apart from
     * the renames); {@link #commit} does it when not done before. Text outputs added later are prepared by the commit.
     */
    public void prepare() throws IOException {
        check();
        if (prepared) return;
        for (TensorWriter w : writers) {
            w.finish();
            outputOf(w).prepare();
        }
        for (PlacedNpyOutput p : placed) p.output().prepare();
        prepared = true;
    }

    /** Deletes the temporary files of everything not committed; never throws. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (committed) return;
        for (TensorWriter w : writers) {
            try {
                w.close();
            } catch (IOException | RuntimeException ignored) {
                // best effort: the writer's own close deletes its temporary file
            }
            outputOf(w).abort();
        }
        for (PlacedNpyOutput p : placed) p.close();
        for (Storage.OutputFile t : texts) t.abort();
    }

    private static Storage.OutputFile outputOf(TensorWriter w) {
        return w instanceof NpyTensorWriter n ? n.output() : ((ArrowTensorWriter) w).output();
    }

    private static void markCommitted(TensorWriter w) {
        if (w instanceof NpyTensorWriter n) n.markCommitted();
        else ((ArrowTensorWriter) w).markCommitted();
    }
}
