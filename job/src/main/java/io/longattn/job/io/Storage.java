package io.longattn.job.io;

import io.longattn.job.UserError;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.security.AccessControlException;

import java.io.Closeable;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where bytes live: local files through java.nio, anything else (hdfs://, s3a://, ...) through Hadoop's
 * FileSystem API. Every failure to find or open a file becomes a UserError naming the path.
 */
final class Storage {
    private Storage() {
    }

    /** A scheme of two or more characters followed by ':/' (one letter would be a Windows drive). */
    private static final Pattern URI_LIKE = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:/.*");
    private static volatile Configuration hadoopConf;

    static boolean isUri(String path) {
        return URI_LIKE.matcher(path).matches() || path.regionMatches(true, 0, "file:", 0, 5);
    }

    /** True when the path is served by Hadoop rather than java.nio (any URI scheme but file:). */
    static boolean isHadoop(String path) {
        return isUri(path) && !path.toLowerCase(Locale.ROOT).startsWith("file:");
    }

    /** The local path of a plain path or a file: URI. */
    static Path localPath(String path) {
        try {
            if (isUri(path)) {
                URI u = new URI(path);
                if (u.isOpaque()) return Path.of(u.getSchemeSpecificPart());
                return Path.of(u.getPath());
            }
            return Path.of(path);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new UserError(path, "is not a valid path (" + oneLine(e) + ")", "a local path, a file: URI or a Hadoop URI");
        }
    }

    /** Sets the Hadoop configuration used for non-local paths (null: back to the automatic choice). */
    static void useHadoopConfiguration(Configuration conf) {
        hadoopConf = conf;
    }

    /**
     * The Hadoop configuration: the one set by {@link #useHadoopConfiguration}, else Spark's (with its spark.hadoop.*
     * settings, cached) when a SparkEnv exists in this JVM, else Hadoop's defaults (not cached, so that a later
     * SparkEnv is still picked up).
     */
    static Configuration hadoopConfiguration() {
        Configuration c = hadoopConf;
        if (c != null) return c;
        try {
            org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
            if (env != null) {
                c = org.apache.spark.deploy.SparkHadoopUtil.get().newConfiguration(env.conf());
                hadoopConf = c;
                return c;
            }
        } catch (LinkageError | RuntimeException e) {
            // no Spark on the classpath, or a Spark without these internals: Hadoop's defaults
        }
        return new Configuration();
    }

    private static FileSystem hadoopFs(String path, URI uri) {
        try {
            return FileSystem.get(uri, hadoopConfiguration());
        } catch (IOException | RuntimeException e) {
            throw new UserError(path, "has no usable file system for scheme '" + uri.getScheme() + "' (" + oneLine(e) + ")",
                    "a local path or a URI of a file system Hadoop is configured for (hdfs://, s3a://, ...)");
        }
    }

    private static URI hadoopUri(String path) {
        try {
            return new URI(path);
        } catch (URISyntaxException e) {
            throw new UserError(path, "is not a valid URI (" + oneLine(e) + ")", "a local path, a file: URI or a Hadoop URI");
        }
    }

    // ------------------------------------------------------------------ input

    /** A file opened for reading: its size, positional reads, and a seekable channel view for Arrow. */
    abstract static class InputFile implements Closeable {
        final String path;
        private final long size;

        InputFile(String path, long size) {
            this.path = path;
            this.size = size;
        }

        long size() {
            return size;
        }

        /** One positioned read into dst; the bytes read, or -1 at the end of the file. */
        abstract int read(long pos, ByteBuffer dst) throws IOException;

        /** Fills dst's remaining bytes from file position pos; EOFException when the file ends first. */
        void readFully(long pos, ByteBuffer dst) throws IOException {
            long p = pos;
            while (dst.hasRemaining()) {
                int n = read(p, dst);
                if (n < 0) throw new EOFException(path + ": ends at byte " + p + ", " + dst.remaining() + " more bytes expected");
                p += n;
            }
        }

        /** A seekable channel over the file (closing it closes this file). */
        abstract SeekableByteChannel channel();
    }

    /** Where readers should open a path: local paths made absolute, URIs as they are. */
    static String location(String path) {
        if (isHadoop(path)) return path;
        return localPath(path).toAbsolutePath().normalize().toString();
    }

    /** Opens a file for reading (local: java.nio; otherwise Hadoop, also for file: URIs when forceHadoop). */
    static InputFile openInput(String path, boolean forceHadoop) {
        return openInput(path, path, forceHadoop);
    }

    /**
     * Opens location for reading; messages name path (the user's spelling of the same file).
     */
    static InputFile openInput(String location, String path, boolean forceHadoop) {
        if (forceHadoop || isHadoop(location)) return openHadoop(location, path);
        Path p = localPath(location);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new UserError(path, "does not exist", "an existing file");
        } catch (AccessDeniedException e) {
            throw new UserError(path, "cannot be read (permission denied)", "a readable file");
        } catch (IOException e) {
            throw new UserError(path, "cannot be read (" + oneLine(e) + ")", "a readable file");
        }
        if (attrs.isDirectory()) throw new UserError(path, "is a directory", "a file");
        if (!attrs.isRegularFile()) throw new UserError(path, "is not a regular file", "a file");
        FileChannel ch;
        try {
            ch = FileChannel.open(p, StandardOpenOption.READ);
        } catch (AccessDeniedException e) {
            throw new UserError(path, "cannot be read (permission denied)", "a readable file");
        } catch (IOException e) {
            throw new UserError(path, "cannot be read (" + oneLine(e) + ")", "a readable file");
        }
        try {
            long size = ch.size();
            return new LocalInput(path, ch, size);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UserError(path, "cannot be read (" + oneLine(e) + ")", "a readable file");
        }
    }

    private static InputFile openHadoop(String location, String path) {
        URI uri = hadoopUri(location);
        FileSystem fs = hadoopFs(path, uri);
        org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(uri);
        FileStatus st;
        try {
            st = fs.getFileStatus(hp);
        } catch (FileNotFoundException e) {
            throw new UserError(path, "does not exist", "an existing file");
        } catch (AccessControlException e) {
            throw new UserError(path, "cannot be read (permission denied)", "a readable file");
        } catch (IOException e) {
            throw new UserError(path, "cannot be read (" + oneLine(e) + ")", "a readable file");
        }
        if (st.isDirectory()) throw new UserError(path, "is a directory", "a file");
        FSDataInputStream in;
        try {
            in = fs.open(hp);
        } catch (FileNotFoundException e) {
            throw new UserError(path, "does not exist", "an existing file");
        } catch (AccessControlException e) {
            throw new UserError(path, "cannot be read (permission denied)", "a readable file");
        } catch (IOException e) {
            throw new UserError(path, "cannot be read (" + oneLine(e) + ")", "a readable file");
        }
        return new HadoopInput(path, in, st.getLen());
    }

    private static final class LocalInput extends InputFile {
        private final FileChannel ch;

        LocalInput(String path, FileChannel ch, long size) {
            super(path, size);
            this.ch = ch;
        }

        @Override
        int read(long pos, ByteBuffer dst) throws IOException {
            return ch.read(dst, pos);
        }

        @Override
        SeekableByteChannel channel() {
            return ch;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private static final class HadoopInput extends InputFile {
        private final FSDataInputStream in;
        private byte[] scratch;
        private final HadoopChannel channel = new HadoopChannel();

        HadoopInput(String path, FSDataInputStream in, long size) {
            super(path, size);
            this.in = in;
        }

        /** Positioned read into dst (heap buffers directly, direct buffers through a scratch array). */
        @Override
        int read(long pos, ByteBuffer dst) throws IOException {
            if (pos >= size()) return -1;
            int want = (int) Math.min(dst.remaining(), size() - pos);
            if (dst.hasArray()) {
                int n = in.read(pos, dst.array(), dst.arrayOffset() + dst.position(), want);
                if (n > 0) dst.position(dst.position() + n);
                return n;
            }
            if (scratch == null) scratch = new byte[1 << 20];
            int n = in.read(pos, scratch, 0, Math.min(want, scratch.length));
            if (n > 0) dst.put(scratch, 0, n);
            return n;
        }

        @Override
        SeekableByteChannel channel() {
            return channel;
        }

        @Override
        public void close() throws IOException {
            channel.open = false;
            in.close();
        }

        /** A read-only SeekableByteChannel over positioned reads. */
        private final class HadoopChannel implements SeekableByteChannel {
            private long position;
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (!open) throw new ClosedChannelException();
                if (!dst.hasRemaining()) return 0;
                int n = HadoopInput.this.read(position, dst);
                if (n > 0) position += n;
                return n;
            }

            @Override
            public int write(ByteBuffer src) {
                throw new NonWritableChannelException();
            }

            @Override
            public long position() {
                return position;
            }

            @Override
            public SeekableByteChannel position(long newPosition) {
                if (newPosition < 0) throw new IllegalArgumentException("position " + newPosition);
                position = newPosition;
                return this;
            }

            @Override
            public long size() {
                return HadoopInput.this.size();
            }

            @Override
            public SeekableByteChannel truncate(long s) {
                throw new NonWritableChannelException();
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() throws IOException {
                HadoopInput.this.close();
            }
        }
    }

    // ------------------------------------------------------------------ output

    /**
     * A file being written under a hidden temporary sibling name ({@code .<name>.tmp-<random>});
     * {@link #commit()} moves it to the final name, {@link #abort()} deletes it.
     */
    abstract static class OutputFile {
        final String path;
        final boolean overwrite;

        OutputFile(String path, boolean overwrite) {
            this.path = path;
            this.overwrite = overwrite;
        }

        abstract WritableByteChannel channel();

        /** Flushes, closes and renames into place; on failure the temporary file is deleted. */
        abstract void commit() throws IOException;

        /** Closes and deletes the temporary file; never throws. */
        abstract void abort();

        /** The temporary file's path (for tests and messages). */
        abstract String tempPath();
    }

    static String tempName(String finalName) {
        return "." + finalName + ".tmp-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    static OutputFile createOutput(String path, boolean overwrite, boolean forceHadoop) {
        if (forceHadoop || isHadoop(path)) return createHadoop(path, overwrite);
        Path p = localPath(path).toAbsolutePath();
        Path dir = p.getParent();
        if (dir == null || p.getFileName() == null) throw new UserError(path, "is not a file path", "a path to a new file");
        if (!Files.isDirectory(dir)) {
            throw new UserError(path, "directory " + dir + " does not exist", "an existing, writable directory");
        }
        if (Files.isDirectory(p)) throw new UserError(path, "is a directory", "a file path");
        if (!overwrite && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new UserError(path, "already exists", "a new path or --overwrite");
        }
        if (!Files.isWritable(dir)) {
            throw new UserError(path, "directory " + dir + " is not writable", "an existing, writable directory");
        }
        Path tmp = dir.resolve(tempName(p.getFileName().toString()));
        try {
            FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return new LocalOutput(path, overwrite, p, tmp, ch);
        } catch (AccessDeniedException e) {
            throw new UserError(path, "directory " + dir + " is not writable", "an existing, writable directory");
        } catch (IOException e) {
            throw new UserError(path, "cannot be created (" + oneLine(e) + ")", "a writable output path");
        }
    }

    private static final class LocalOutput extends OutputFile {
        private final Path target;
        private final Path tmp;
        private final FileChannel ch;
        private boolean done;

        LocalOutput(String path, boolean overwrite, Path target, Path tmp, FileChannel ch) {
            super(path, overwrite);
            this.target = target;
            this.tmp = tmp;
            this.ch = ch;
        }

        @Override
        WritableByteChannel channel() {
            return ch;
        }

        @Override
        void commit() throws IOException {
            if (done) throw new IllegalStateException(path + ": already committed or aborted");
            try {
                ch.force(false);
                ch.close();
                if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new UserError(path, "already exists (it appeared while the output was being written)",
                            "a new path or --overwrite");
                }
                if (overwrite) keepPermissions(target, tmp);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                } catch (FileAlreadyExistsException e) {
                    if (!overwrite) throw new UserError(path, "already exists", "a new path or --overwrite");
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
                done = true;
            } finally {
                if (!done) abort();
            }
        }

        /**
         * The replacement must not be readable by more people than the file it replaces (a 0600 output stays
         * 0600 under --overwrite). Links are followed: their target's mode is the one the user chose.
         */
        private static void keepPermissions(Path replaced, Path replacement) throws IOException {
            PosixFileAttributes old;
            try {
                old = Files.readAttributes(replaced, PosixFileAttributes.class);
            } catch (NoSuchFileException | UnsupportedOperationException e) {
                return;
            }
            if (old.isRegularFile()) Files.setPosixFilePermissions(replacement, old.permissions());
        }

        @Override
        void abort() {
            done = true;
            closeQuietly(ch);
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }

        @Override
        String tempPath() {
            return tmp.toString();
        }
    }

    private static OutputFile createHadoop(String path, boolean overwrite) {
        URI uri = hadoopUri(path);
        FileSystem fs = hadoopFs(path, uri);
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(uri);
        org.apache.hadoop.fs.Path dir = target.getParent();
        if (dir == null) throw new UserError(path, "is not a file path", "a path to a new file");
        try {
            FileStatus ds;
            try {
                ds = fs.getFileStatus(dir);
            } catch (FileNotFoundException e) {
                ds = null;
            }
            if (ds == null || !ds.isDirectory()) {
                throw new UserError(path, "directory " + dir + " does not exist", "an existing, writable directory");
            }
            FileStatus ts;
            try {
                ts = fs.getFileStatus(target);
            } catch (FileNotFoundException e) {
                ts = null;
            }
            if (ts != null && ts.isDirectory()) throw new UserError(path, "is a directory", "a file path");
            if (ts != null && !overwrite) throw new UserError(path, "already exists", "a new path or --overwrite");
            org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir, tempName(target.getName()));
            FSDataOutputStream out = fs.create(tmp, false);
            return new HadoopOutput(path, overwrite, fs, target, tmp, out);
        } catch (AccessControlException e) {
            throw new UserError(path, "directory " + dir + " is not writable", "an existing, writable directory");
        } catch (IOException e) {
            throw new UserError(path, "cannot be created (" + oneLine(e) + ")", "a writable output path");
        }
    }

    private static final class HadoopOutput extends OutputFile {
        private final FileSystem fs;
        private final org.apache.hadoop.fs.Path target;
        private final org.apache.hadoop.fs.Path tmp;
        private final FSDataOutputStream out;
        private final WritableByteChannel ch;
        private boolean done;

        HadoopOutput(String path, boolean overwrite, FileSystem fs, org.apache.hadoop.fs.Path target,
                     org.apache.hadoop.fs.Path tmp, FSDataOutputStream out) {
            super(path, overwrite);
            this.fs = fs;
            this.target = target;
            this.tmp = tmp;
            this.out = out;
            this.ch = Channels.newChannel(out);
        }

        @Override
        WritableByteChannel channel() {
            return ch;
        }

        @Override
        void commit() throws IOException {
            if (done) throw new IllegalStateException(path + ": already committed or aborted");
            try {
                out.close();
                if (fs.exists(target)) {
                    if (!overwrite) {
                        throw new UserError(path, "already exists (it appeared while the output was being written)",
                                "a new path or --overwrite");
                    }
                    // the replacement must not be readable by more people than the file it replaces
                    fs.setPermission(tmp, fs.getFileStatus(target).getPermission());
                    fs.delete(target, false);
                }
                if (!fs.rename(tmp, target)) throw new IOException(path + ": rename of " + tmp + " failed");
                done = true;
            } finally {
                if (!done) abort();
            }
        }

        @Override
        void abort() {
            done = true;
            try {
                out.close();
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
            try {
                fs.delete(tmp, false);
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
        }

        @Override
        String tempPath() {
            return tmp.toString();
        }
    }

    // ------------------------------------------------------------------ helpers

    static void closeQuietly(Closeable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    /** An exception as one line: its message (or class name), the first line only. */
    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        if (nl >= 0) m = m.substring(0, nl);
        return m.strip();
    }
}
