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
        } catch (java.nio.file.InvalidPathException e) {
            String encoding = System.getProperty("sun.jnu.encoding", java.nio.charset.Charset.defaultCharset().name());
            if (!java.nio.charset.Charset.isSupported(encoding) || !java.nio.charset.Charset.forName(encoding).newEncoder().canEncode(path)) {
                throw new UserError(path, "cannot be used as a file name under this locale, whose file name encoding "
                        + encoding + " cannot represent it", "a UTF-8 locale (LANG or LC_ALL=C.UTF-8) or an ASCII path");
            }
            throw new UserError(path, "is not a valid path (" + oneLine(e) + ")", "a local path, a file: URI or a Hadoop URI");
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
        private long modifiedMillis;
        private String fileKey;

        InputFile(String path, long size) {
            this.path = path;
            this.size = size;
        }

        long size() {
            return size;
        }

        /** Modification time when opened, in milliseconds. */
        long modifiedMillis() {
            return modifiedMillis;
        }

        /** The file's identity (inode and device) where the file system has one, else null. */
        String fileKey() {
            return fileKey;
        }

        InputFile identity(long modifiedMillis, Object fileKey) {
            this.modifiedMillis = modifiedMillis;
            this.fileKey = fileKey == null ? null : fileKey.toString();
            return this;
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
            // the identity of the file opened (not of whatever the name points to a moment later)
            Object key = attrs.fileKey();
            long modified = attrs.lastModifiedTime().toMillis();
            try {
                BasicFileAttributes now = Files.readAttributes(p, BasicFileAttributes.class);
                if (java.util.Objects.equals(now.fileKey(), key)) modified = now.lastModifiedTime().toMillis();
            } catch (IOException | RuntimeException e) {
                // the attributes read before opening stand
            }
            return new LocalInput(path, ch, size).identity(modified, key);
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
        return new HadoopInput(path, in, st.getLen()).identity(st.getModificationTime(), null);
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
     * {@link #commit()} moves it to the final name, {@link #abort()} deletes it. Committing is two steps so
     * that several outputs can be committed as one ({@link OutputGroup}): {@link #prepare()} makes the bytes
     * durable, {@link #publish()} gives them the final name, {@link #finishCommit()} drops the temporary name.
     */
    abstract static class OutputFile {
        final String path;
        final boolean overwrite;
        /** The size the file will have (0: unknown): a full disk says how much was needed. */
        long expectedBytes;
        long bytesWritten;

        OutputFile(String path, boolean overwrite) {
            this.path = path;
            this.overwrite = overwrite;
        }

        abstract WritableByteChannel channel();

        /** Flushes the bytes to stable storage; the file is still under its temporary name. */
        abstract void prepare() throws IOException;

        /**
         * Gives the prepared file its final name. Without overwrite it fails with a UserError when the name
         * exists, however late the name appeared (no check-then-rename window).
         */
        abstract void publish() throws IOException;

        /** Undoes a {@link #publish()} of a new file (another output of the same commit failed); best effort. */
        abstract void unpublish();

        /** After every output of a commit is published: drops the temporary name and releases the file. */
        abstract void finishCommit();

        /** Prepares, publishes and finishes; on failure the temporary file is deleted. */
        final void commit() throws IOException {
            boolean ok = false;
            try {
                prepare();
                publish();
                ok = true;
            } finally {
                if (ok) finishCommit();
                else abort();
            }
        }

        /** Closes and deletes the temporary file; never throws. */
        abstract void abort();

        /** The temporary file's path (for tests and messages). */
        abstract String tempPath();

        /** The channel writers use: counts bytes, and a failed write becomes {@link #writeFailed}. */
        WritableByteChannel counted(WritableByteChannel inner, String where) {
            return new WritableByteChannel() {
                @Override
                public int write(ByteBuffer src) {
                    try {
                        int n = inner.write(src);
                        bytesWritten += n;
                        return n;
                    } catch (IOException e) {
                        throw writeFailed(e, where);
                    }
                }

                @Override
                public boolean isOpen() {
                    return inner.isOpen();
                }

                @Override
                public void close() throws IOException {
                    inner.close();
                }
            };
        }

        /** A write that failed for want of space or an I/O error: one line with the bytes written and needed. */
        UserError writeFailed(IOException e, String where) {
            String need = expectedBytes > 0 ? ", about " + expectedBytes + " needed" : "";
            String expected = expectedBytes > 0 ? "about " + expectedBytes + " bytes of free space in " + where
                    : "enough free space in " + where;
            return new UserError(path, "cannot be written (" + oneLine(e) + ") after " + bytesWritten + " bytes" + need
                    + "; nothing was written", expected, e);
        }
    }

    /** The temporary names of outputs being written by this JVM: never taken for a dead job's leftovers. */
    private static final java.util.Set<Path> LIVE_TEMPS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Deletes the temporary files of every output this JVM is writing (it is being ended); returns how many. */
    static int abandonAll() {
        int n = 0;
        for (Path t : LIVE_TEMPS) {
            try {
                if (Files.deleteIfExists(t)) n++;
            } catch (IOException | RuntimeException ignored) {
                // best effort: the next run for the same output removes it
            }
            LIVE_TEMPS.remove(t);
        }
        return n;
    }

    /** Seconds a temporary file must be unchanged before it may be removed as a dead job's. */
    static final long STALE_TEMP_SECONDS = 5;

    static String tempName(String finalName) {
        return tempPrefix(finalName) + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    static String tempPrefix(String finalName) {
        return "." + finalName + ".tmp-";
    }

    static OutputFile createOutput(String path, boolean overwrite, boolean forceHadoop) {
        return createOutput(path, overwrite, forceHadoop, 0);
    }

    static OutputFile createOutput(String path, boolean overwrite, boolean forceHadoop, long expectedBytes) {
        OutputFile out = forceHadoop || isHadoop(path) ? createHadoop(path, overwrite) : createLocal(path, overwrite);
        out.expectedBytes = expectedBytes;
        return out;
    }

    /**
     * The checks of {@link #createOutput} without creating anything, for the driver before Spark starts: a
     * local output's directory exists and is writable, the path is no directory, and it is new unless
     * overwrite (a dangling symbolic link is not new). Hadoop paths are checked when created.
     */
    static void checkOutput(String path, boolean overwrite) {
        if (isHadoop(path)) return;
        Path p = localPath(path).toAbsolutePath();
        Path dir = p.getParent();
        if (dir == null || p.getFileName() == null) throw new UserError(path, "is not a file path", "a path to a new file");
        if (!Files.isDirectory(dir)) {
            throw new UserError(path, "directory " + dir + " does not exist", "an existing, writable directory");
        }
        if (!Files.isWritable(dir)) {
            throw new UserError(path, "directory " + dir + " is not writable", "an existing, writable directory");
        }
        if (Files.isDirectory(p)) throw new UserError(path, "is a directory", "a file path");
        if (!overwrite && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isSymbolicLink(p) && !Files.exists(p)) {
                throw new UserError(path, "already exists as a symbolic link to a missing file", "a new path or --overwrite");
            }
            throw new UserError(path, "already exists", "a new path or --overwrite");
        }
    }

    private static OutputFile createLocal(String path, boolean overwrite) {
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
        removeStaleTemps(dir, p.getFileName().toString());
        Path tmp = dir.resolve(tempName(p.getFileName().toString()));
        FileChannel ch;
        try {
            ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new UserError(path, "directory " + dir + " is not writable", "an existing, writable directory");
        } catch (IOException e) {
            throw new UserError(path, "cannot be created (" + oneLine(e) + ")", "a writable output path");
        }
        LIVE_TEMPS.add(tmp);
        try {
            // held until the file is committed or aborted: a later run for the same output sees a locked
            // temporary file as a live writer's, an unlocked one as a dead job's (the lock dies with the process)
            ch.tryLock();
        } catch (IOException | RuntimeException e) {
            // no locks on this file system: the temporary file is then never taken for a dead job's
        }
        return new LocalOutput(path, overwrite, p, tmp, ch);
    }

    /**
     * Deletes the hidden temporary files of earlier jobs for the same output whose writer is dead (a driver
     * killed with SIGKILL cannot delete its own): a file no process holds a lock on and unchanged for a few
     * seconds. Best effort: a file that cannot be examined stays.
     */
    static int removeStaleTemps(Path dir, String finalName) {
        String prefix = tempPrefix(finalName);
        int removed = 0;
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir, e -> e.getFileName().toString().startsWith(prefix))) {
            for (Path t : ds) {
                if (LIVE_TEMPS.contains(t)) continue;
                try {
                    BasicFileAttributes a = Files.readAttributes(t, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (!a.isRegularFile()) continue;
                    if (System.currentTimeMillis() - a.lastModifiedTime().toMillis() < STALE_TEMP_SECONDS * 1000) continue;
                    try (FileChannel ch = FileChannel.open(t, StandardOpenOption.WRITE)) {
                        java.nio.channels.FileLock lock = ch.tryLock();
                        if (lock == null) continue; // a live writer in another process
                        Files.deleteIfExists(t);
                        removed++;
                    }
                } catch (IOException | RuntimeException e) {
                    // not ours to judge: leave it
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unlistable directory: the create that follows reports what is wrong with it
        }
        return removed;
    }

    private static final class LocalOutput extends OutputFile {
        private final Path target;
        private final Path tmp;
        private final FileChannel ch;
        private final WritableByteChannel counting;
        private boolean prepared;
        private boolean linked;
        private boolean moved;
        private boolean done;

        LocalOutput(String path, boolean overwrite, Path target, Path tmp, FileChannel ch) {
            super(path, overwrite);
            this.target = target;
            this.tmp = tmp;
            this.ch = ch;
            this.counting = counted(ch, String.valueOf(tmp.getParent()));
        }

        @Override
        WritableByteChannel channel() {
            return counting;
        }

        @Override
        void prepare() throws IOException {
            if (done) throw new IllegalStateException(path + ": already committed or aborted");
            if (prepared) return;
            try {
                ch.force(false);
            } catch (IOException e) {
                throw writeFailed(e, String.valueOf(tmp.getParent()));
            }
            prepared = true;
        }

        @Override
        void publish() throws IOException {
            if (!prepared) throw new IllegalStateException(path + ": publish before prepare");
            if (overwrite) {
                keepPermissions(target, tmp);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
                moved = true;
                return;
            }
            // a hard link fails when the name exists, however late it appeared; a rename would replace it
            try {
                Files.createLink(target, tmp);
                linked = true;
            } catch (FileAlreadyExistsException e) {
                throw appeared();
            } catch (UnsupportedOperationException | IOException e) {
                // no hard links here (some network and FUSE file systems): a rename that refuses an existing name
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) throw appeared();
                try {
                    Files.move(tmp, target);
                } catch (FileAlreadyExistsException e2) {
                    throw appeared();
                }
                moved = true;
            }
        }

        private UserError appeared() {
            return new UserError(path, "already exists (it appeared while the output was being written); nothing was written",
                    "a new path or --overwrite");
        }

        @Override
        void unpublish() {
            try {
                if (linked && Files.isSameFile(target, tmp)) Files.delete(target);
                else if (moved && !overwrite) Files.move(target, tmp);
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
            linked = false;
            moved = false;
        }

        @Override
        void finishCommit() {
            done = true;
            try {
                if (linked) Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a hidden second name of a complete output: the next run's cleanup takes it
            }
            closeQuietly(ch);
            LIVE_TEMPS.remove(tmp);
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
            if (done) return; // committed, or aborted before
            done = true;
            unpublish();
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            closeQuietly(ch);
            LIVE_TEMPS.remove(tmp);
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
        private boolean prepared;
        private boolean published;
        private boolean done;

        HadoopOutput(String path, boolean overwrite, FileSystem fs, org.apache.hadoop.fs.Path target,
                     org.apache.hadoop.fs.Path tmp, FSDataOutputStream out) {
            super(path, overwrite);
            this.fs = fs;
            this.target = target;
            this.tmp = tmp;
            this.out = out;
            this.ch = counted(Channels.newChannel(out), String.valueOf(tmp.getParent()));
        }

        @Override
        WritableByteChannel channel() {
            return ch;
        }

        @Override
        void prepare() throws IOException {
            if (done) throw new IllegalStateException(path + ": already committed or aborted");
            if (prepared) return;
            try {
                out.close();
            } catch (IOException e) {
                throw writeFailed(e, String.valueOf(tmp.getParent()));
            }
            prepared = true;
        }

        /**
         * Hadoop has no rename that refuses an existing name on every file system (HDFS's rename does; S3A's
         * is a copy): the existence check stays, and the window between check and rename remains there.
         */
        @Override
        void publish() throws IOException {
            if (fs.exists(target)) {
                if (!overwrite) {
                    throw new UserError(path, "already exists (it appeared while the output was being written); nothing was written",
                            "a new path or --overwrite");
                }
                // the replacement must not be readable by more people than the file it replaces
                fs.setPermission(tmp, fs.getFileStatus(target).getPermission());
                fs.delete(target, false);
            }
            if (!fs.rename(tmp, target)) throw new IOException(path + ": rename of " + tmp + " failed");
            published = true;
        }

        @Override
        void unpublish() {
            if (!published || overwrite) return;
            try {
                fs.rename(target, tmp);
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
            published = false;
        }

        @Override
        void finishCommit() {
            done = true;
        }

        @Override
        void abort() {
            if (done) return;
            done = true;
            unpublish();
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
