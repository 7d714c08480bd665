/*
 * out_file.h - files the commands write, replaced only when complete.
 *
 * A command that writes FILE writes a temporary file beside it (same
 * folder, so the same file system) and renames it onto FILE only when
 * everything went well: an existing FILE is never left truncated or half
 * written, and an input named as the output is never destroyed.  An
 * output that is the same file as one of the command's inputs (same
 * device and inode, through any symlink) is refused before anything is
 * read.  "-" is standard output; an existing non-regular file (a FIFO,
 * /dev/null) is written in place, since it cannot be replaced.
 */
#ifndef VMSIM_TOOLS_OUT_FILE_H
#define VMSIM_TOOLS_OUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct out_file {
    FILE *f;          /* where to write (the temporary, the device, or stdout) */
    const char *path; /* the name the user gave */
    char *target;     /* what the rename replaces (symlinks resolved) */
    char *temp;       /* the temporary file; NULL when written in place */
    char err[512];
};

enum {
    OUT_SEEKABLE = 1, /* the writer seeks back (binary trace): refuse FIFOs and devices */
};

/* Refuse `path` when it is the same file as one of inputs[0..n_inputs)
 * ("-" is standard input).  Returns true when it is (o->err says so). */
bool out_is_an_input(struct out_file *o, const char *path, const char *const *inputs,
                     size_t n_inputs);

/* Open `path` for writing as described above.  `suffix` (may be "") is
 * kept at the end of the temporary's name (a plotting program picks the
 * format from it).  Returns 0; 2 when the output is an input (nothing is
 * created); 1 when it cannot be created; o->err says why. */
int out_open(struct out_file *o, const char *path, const char *const *inputs, size_t n_inputs,
             const char *suffix, unsigned flags);

/* Close and rename the temporary onto the target.  Returns 0, or 1 with
 * o->err (the temporary is removed and the target left as it was). */
int out_commit(struct out_file *o);

/* Close and remove the temporary; the target is left as it was. */
void out_discard(struct out_file *o);

#endif
