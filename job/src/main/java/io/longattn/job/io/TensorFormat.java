package io.longattn.job.io;

import io.longattn.job.UserError;

import java.util.Locale;

/** On-disk tensor formats, chosen by file extension. */
public enum TensorFormat {
    /** numpy's .npy (version 1.0 to 3.0 headers, C order, little-endian float32 or float16). */
    NPY,
    /** Arrow IPC file format (.arrow, .feather for Feather v2, .ipc). */
    ARROW;

    static final String EXPECTED_EXTENSIONS = "one of .npy, .arrow, .feather, .ipc";

    /** The format of a path (local path or URI) from its extension; a UserError naming the path otherwise. */
    public static TensorFormat fromPath(String path) {
        if (path == null || path.isEmpty()) {
            throw new UserError(String.valueOf(path), "is an empty path", "a file path ending in " + EXPECTED_EXTENSIONS);
        }
        String name = fileName(path);
        int dot = name.lastIndexOf('.');
        if (dot <= 0 || dot == name.length() - 1) {
            throw new UserError(path, "has no file extension", "a file name ending in " + EXPECTED_EXTENSIONS);
        }
        String ext = name.substring(dot).toLowerCase(Locale.ROOT);
        switch (ext) {
            case ".npy":
                return NPY;
            case ".arrow":
            case ".feather":
            case ".ipc":
                return ARROW;
            default:
                throw new UserError(path, "has the unknown extension " + name.substring(dot), EXPECTED_EXTENSIONS);
        }
    }

    /** The last segment of a path or URI (query and fragment ignored). */
    public static String fileName(String path) {
        String p = path;
        int q = p.indexOf('?');
        if (q >= 0 && Storage.isUri(p)) p = p.substring(0, q);
        while (p.length() > 1 && (p.endsWith("/") || p.endsWith("\\"))) p = p.substring(0, p.length() - 1);
        int slash = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
        return slash >= 0 ? p.substring(slash + 1) : p;
    }
}
