/*
 * cli_rig.h - run the vmsim program as a user (or an attacker) would.
 *
 * tool_run() starts the built binary (VMSIM_TOOL) with standard input
 * from a file (or /dev/null), captures standard output and error in
 * unlinked temporary files, and waits at most `timeout` seconds: a
 * program still running then is killed and reported as timed out.  Its
 * peak resident memory comes back too, so a test can say "it ended, in
 * bounded time and memory".  The program runs natively even when the
 * suite runs under valgrind (valgrind does not follow exec).
 *
 * Scratch files go to a fresh folder (scratch_dir) removed at the end.
 */
#ifndef VMSIM_TESTS_CLI_RIG_H
#define VMSIM_TESTS_CLI_RIG_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef VMSIM_TOOL
#error "VMSIM_TOOL (the path of the vmsim binary) must be defined by the build"
#endif

struct tool_result {
    int status;     /* exit status; -1 when killed by a signal */
    bool timed_out; /* killed after the timeout */
    long max_rss_kb;
    char *out, *err;
};

static int rig_temp_fd(void)
{
    char path[] = "/tmp/vmsim-test-rig-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    return fd;
}

static char *rig_slurp_fd(int fd)
{
    off_t size = lseek(fd, 0, SEEK_END);
    assert_true(size >= 0);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(pread(fd, text, (size_t)size, 0), size);
    text[size] = '\0';
    return text;
}

static void rig_child(const char *input, int out, int err, char **argv)
{
    int in = open(input ? input : "/dev/null", O_RDONLY);
    struct rlimit as = {4ul << 30, 4ul << 30}; /* a safety net; the test checks the peak */
    if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(126);
    setrlimit(RLIMIT_AS, &as);
    execv(VMSIM_TOOL, argv);
    _exit(127);
}

/* Run `vmsim args...` (NULL-terminated). */
static struct tool_result tool_run(const char *input, unsigned timeout, const char *const *args)
{
    struct tool_result r = {-1, false, 0, NULL, NULL};
    char *argv[24] = {(char *)VMSIM_TOOL};
    size_t n = 1;
    for (; args[n - 1]; n++) {
        assert_true(n < 23);
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    int out = rig_temp_fd(), err = rig_temp_fd();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        rig_child(input, out, err, argv);
    int wstatus = 0;
    struct rusage ru;
    struct timespec tick = {0, 5 * 1000 * 1000};
    for (unsigned waited = 0; wait4(pid, &wstatus, WNOHANG, &ru) == 0; waited++) {
        if (waited == timeout * 200u) {
            kill(pid, SIGKILL);
            r.timed_out = true;
            assert_int_equal(wait4(pid, &wstatus, 0, &ru), pid);
            break;
        }
        nanosleep(&tick, NULL);
    }
    if (WIFEXITED(wstatus))
        r.status = WEXITSTATUS(wstatus);
    r.max_rss_kb = ru.ru_maxrss;
    r.out = rig_slurp_fd(out);
    r.err = rig_slurp_fd(err);
    close(out);
    close(err);
    return r;
}

#define TOOL(input, timeout, ...) tool_run(input, timeout, (const char *const[]){__VA_ARGS__, NULL})

static void tool_free(struct tool_result *r)
{
    free(r->out);
    free(r->err);
}

/* --- scratch files --------------------------------------------------------- */

static int rig_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char *scratch_dir(void)
{
    char *dir = strdup("/tmp/vmsim-test-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void scratch_remove(char *dir)
{
    nftw(dir, rig_remove, 8, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* dir/name, in a buffer the caller frees. */
static char *scratch_path(const char *dir, const char *name)
{
    size_t cap = strlen(dir) + strlen(name) + 2;
    char *p = malloc(cap);
    assert_non_null(p);
    snprintf(p, cap, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    char *text = rig_slurp_fd(fd);
    if (len)
        *len = (size_t)lseek(fd, 0, SEEK_END);
    close(fd);
    return text;
}

/* How many entries `dir` holds (besides . and ..). */
static unsigned count_entries(const char *dir)
{
    unsigned n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

#endif
