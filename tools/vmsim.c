/*
 * vmsim.c - the command-line front end: `vmsim COMMAND [OPTIONS] ...`.
 *
 * Each command is a function in the table below; `vmsim help COMMAND`
 * and `vmsim COMMAND --help` print its usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_tlb.h"
#include "paging_cmd.h"
#include "scenario.h"
#include "trace_cmd.h"

static const char run_usage[] =
    "usage: vmsim run [OPTIONS] FILE|-\n"
    "\n"
    "Execute a scenario (docs/scenario-language.md): set up physical memory and\n"
    "control registers by hand, issue accesses through the MMU, print one result\n"
    "line per access and the page-table words each access changed.\n"
    "\n"
    "options:\n"
    "  --explain            tell, on standard error, how every access was translated:\n"
    "                       the linear-address split, each entry read and its flags,\n"
    "                       the A/D bits set, and the rule that made a fault\n"
    "  --stats              print the TLB and walk counters on standard error at the end\n"
    "  --dtlb E,W[,POLICY]  data TLB: E entries, W ways ('full'), policy lru|fifo|random|plru\n"
    "                       (default 64,4,lru)\n"
    "  --itlb E,W[,POLICY]  instruction TLB (default 64,4,lru)\n"
    "                       (random takes a seed as a fourth field: 64,4,random,7)\n"
    "  --unified            one TLB (the --dtlb one) for fetches and data\n"
    "  --stlb E,W[,POLICY]  a second-level TLB behind them (default: none); 1 GiB\n"
    "                       entries go to its own 16-entry 4-way array\n"
    "  --psc E,W[,POLICY]   paging-structure caches of that geometry at every level\n"
    "                       (PML5E, PML4E, PDPTE, PDE; default: none)\n"
    "  --no-tlb             no TLB at all: every access walks the tables\n"
    "  -h, --help           this text\n"
    "\n"
    "exit status: 0 the scenario ran to its end (faults are results), 2 a malformed\n"
    "line (FILE:LINE: error: ... on standard error) or a bad option, 1 anything else\n"
    "(cannot open FILE, out of memory).\n";

static int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"explain", no_argument, NULL, 'e'}, {"stats", no_argument, NULL, 's'},
        {"dtlb", required_argument, NULL, 'd'}, {"itlb", required_argument, NULL, 'i'},
        {"unified", no_argument, NULL, 'u'}, {"no-tlb", no_argument, NULL, 'n'},
        {"stlb", required_argument, NULL, 'S'}, {"psc", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    struct scenario_options opt;
    int c;
    scenario_options_default(&opt);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': opt.explain = stderr; break;
        case 's': opt.stats = stderr; break;
        case 'd':
            if (!cli_parse_tlb(optarg, &opt.config.dtlb, stderr, "--dtlb"))
                return 2;
            break;
        case 'i':
            if (!cli_parse_tlb(optarg, &opt.config.itlb, stderr, "--itlb"))
                return 2;
            break;
        case 'u': opt.config.split_tlb = false; break;
        case 'S':
            if (!cli_parse_tlb(optarg, &opt.config.stlb, stderr, "--stlb"))
                return 2;
            break;
        case 'P':
            if (!cli_parse_tlb(optarg, &opt.config.psc_pde, stderr, "--psc"))
                return 2;
            opt.config.psc_pml5e = opt.config.psc_pml4e = opt.config.psc_pdpte =
                opt.config.psc_pde;
            break;
        case 'n': opt.config.dtlb.entries = opt.config.itlb.entries = 0; break;
        case 'h': fputs(run_usage, stdout); return 0;
        default: fputs("(vmsim run --help lists the options)\n", stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "vmsim run: expected one scenario file (or - for standard input)\n\n%s", run_usage);
        return 2;
    }
    const char *path = argv[optind];
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "vmsim run: cannot open %s: %s\n", path, strerror(errno));
        return 1; /* as in every command: 2 is for malformed input */
    }
    int rc = scenario_run(in, strcmp(path, "-") == 0 ? "<stdin>" : path, stdout, stderr, &opt);
    if (in != stdin)
        fclose(in);
    return rc;
}

struct command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", "execute a scenario file through the emulated MMU", run_usage, cmd_run},
    {"trace", "replay a memory trace (Valgrind lackey, or binary) through a process",
     trace_usage, trace_main},
    {"sweep", "TLB hit rates of many TLB configurations in one pass over a trace", sweep_usage,
     sweep_main},
    {"paging", "page replacement (fifo, lru, opt, clock, ...) on a trace's reference string",
     paging_usage, paging_main},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: vmsim COMMAND [OPTIONS] ...\n\n"
               "libvmsim %s: an x86 MMU and TLB emulator, and a virtual-memory kernel on it.\n\n"
               "commands:\n", vmsim_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-8s %s\n  %-8s %s\n\n", "help", "help on a command: vmsim help COMMAND",
            "version", "print the version");
    fprintf(f, "`vmsim COMMAND --help` describes a command's options; `man vmsim` all of them.\n"
               "The docs/ pages named in the help texts are installed in share/doc/vmsim.\n");
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "version") || !strcmp(name, "--version")) {
        printf("vmsim %s\n", vmsim_version());
        return 0;
    }
    if (!strcmp(name, "help")) {
        const struct command *c = argc > 2 ? find(argv[2]) : NULL;
        if (argc > 2 && !c) {
            fprintf(stderr, "vmsim: no command '%s'\n\n", argv[2]);
            usage(stderr);
            return 2;
        }
        if (c)
            fputs(c->usage, stdout);
        else
            usage(stdout);
        return 0;
    }
    const struct command *c = find(name);
    if (!c) {
        fprintf(stderr, "vmsim: unknown command '%s'\n\n", name);
        usage(stderr);
        return 2;
    }
    /* getopt names the program by argv[0]: "vmsim run: unrecognized option" */
    char program[32];
    snprintf(program, sizeof program, "vmsim %s", c->name);
    argv[1] = program;
    return c->run(argc - 1, argv + 1);
}
