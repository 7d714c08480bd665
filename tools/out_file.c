/*
 * out_file.c - write a temporary beside the output, rename it on success
 * (out_file.h).
 *
 *   out_open    same file as an input?  -> refuse (exit status 2)
 *               "-"                      -> standard output
 *               an existing FIFO/device  -> written in place
 *               otherwise                -> DIR/.NAME.vmsim-XXXXXX[SUFFIX]
 *   out_commit  fclose, rename(temp, target)
 *   out_discard fclose, unlink(temp)
 *
 * The target is the output with its symlinks resolved, so that a link
 * keeps pointing where it did and the file it names is the one replaced.
 * The new file gets the mode of the file it replaces, or 0666 less the
 * umask for a new one, as fopen would have given it.
 */
#include "out_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int out_fail(struct out_file *o, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int out_fail(struct out_file *o, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->err, sizeof o->err, fmt, ap);
    va_end(ap);
    return rc;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

bool out_is_an_input(struct out_file *o, const char *path, const char *const *inputs,
                     size_t n_inputs)
{
    struct stat out, in;
    if (strcmp(path, "-") == 0 || stat(path, &out) != 0)
        return false;
    for (size_t i = 0; i < n_inputs; i++) {
        bool is_stdin = strcmp(inputs[i], "-") == 0;
        if ((is_stdin ? fstat(STDIN_FILENO, &in) : stat(inputs[i], &in)) == 0 &&
            same_file(&out, &in)) {
            out_fail(o, 2,
                     "refusing to write %s: it is the input %s (the input would be lost); "
                     "name another output file",
                     path, is_stdin ? "(standard input)" : inputs[i]);
            return true;
        }
    }
    return false;
}

static mode_t new_file_mode(void)
{
    mode_t mask = umask(0); /* the only way to read the umask */
    umask(mask);
    return 0666 & ~mask;
}

/* DIR/.NAME.vmsim-XXXXXX + suffix, in the target's folder. */
static char *temp_name(const char *target, const char *suffix)
{
    const char *slash = strrchr(target, '/');
    size_t dir_len = slash ? (size_t)(slash - target) + 1 : 0;
    const char *name = target + dir_len;
    size_t cap = strlen(target) + strlen(suffix) + 32;
    char *t = malloc(cap);
    if (t)
        snprintf(t, cap, "%.*s.%s.vmsim-XXXXXX%s", (int)dir_len, target, name, suffix);
    return t;
}

static int open_temp(struct out_file *o, const struct stat *old, const char *suffix)
{
    o->temp = temp_name(o->target, suffix);
    if (!o->temp)
        return out_fail(o, 1, "%s: out of memory", o->path);
    int fd = mkstemps(o->temp, (int)strlen(suffix));
    if (fd < 0) {
        int e = errno;
        free(o->temp);
        o->temp = NULL;
        return out_fail(o, 1, "cannot create %s: %s", o->path, strerror(e));
    }
    fchmod(fd, old ? old->st_mode & 07777 : new_file_mode());
    o->f = fdopen(fd, "w");
    if (!o->f) {
        close(fd);
        unlink(o->temp);
        return out_fail(o, 1, "cannot create %s: %s", o->path, strerror(errno));
    }
    return 0;
}

int out_open(struct out_file *o, const char *path, const char *const *inputs, size_t n_inputs,
             const char *suffix, unsigned flags)
{
    struct stat st;
    memset(o, 0, sizeof *o);
    o->path = path;
    if (out_is_an_input(o, path, inputs, n_inputs))
        return 2;
    bool exists = strcmp(path, "-") != 0 && stat(path, &st) == 0;
    bool in_place = strcmp(path, "-") == 0 || (exists && !S_ISREG(st.st_mode));
    if (in_place && (flags & OUT_SEEKABLE))
        return out_fail(o, 1,
                        "cannot write %s: the output must be a regular file (it is "
                        "written twice: the header comes last)",
                        path);
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    if (in_place) {
        o->f = fopen(path, "w");
        return o->f ? 0 : out_fail(o, 1, "cannot open %s: %s", path, strerror(errno));
    }
    o->target = exists ? realpath(path, NULL) : strdup(path);
    if (!o->target)
        return out_fail(o, 1, "%s: %s", path, strerror(errno));
    int rc = open_temp(o, exists ? &st : NULL, suffix);
    if (rc) {
        free(o->target);
        o->target = NULL;
    }
    return rc;
}

static void release(struct out_file *o)
{
    free(o->temp);
    free(o->target);
    o->temp = o->target = NULL;
    o->f = NULL;
}

int out_commit(struct out_file *o)
{
    int rc = 0;
    errno = 0;
    if (o->f == stdout) {
        rc = fflush(stdout) != 0 || ferror(stdout);
    } else if (o->f) {
        bool bad = ferror(o->f) != 0;
        rc = (fclose(o->f) != 0 || bad);
    }
    if (rc) {
        out_fail(o, 1, "cannot write %s: %s", o->path, errno ? strerror(errno) : "write error");
    } else if (o->temp && rename(o->temp, o->target) != 0) {
        rc = out_fail(o, 1, "cannot replace %s: %s", o->path, strerror(errno));
    }
    if (rc && o->temp)
        unlink(o->temp);
    release(o);
    return rc;
}

void out_discard(struct out_file *o)
{
    if (o->f && o->f != stdout)
        fclose(o->f);
    if (o->temp)
        unlink(o->temp);
    release(o);
}
