/*
 * trace_cmd.h - the `vmsim trace` and `vmsim sweep` commands, as the
 * command table of vmsim.c sees them.
 */
#ifndef VMSIM_TOOLS_TRACE_CMD_H
#define VMSIM_TOOLS_TRACE_CMD_H

extern const char trace_usage[];
extern const char sweep_usage[];

/* argv[0] is "trace" / "sweep".  Return the process exit status. */
int trace_main(int argc, char **argv);
int sweep_main(int argc, char **argv);

#endif
