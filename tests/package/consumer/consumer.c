/* A program outside the project that uses an installed libvmsim. */
#include <stdio.h>
#include <vmsim/vmsim.h>

int main(void)
{
    vmsim_machine_t *m;
    uint32_t value = 0;
    if (vmsim_create(NULL, &m) != VMSIM_OK)
        return 1;
    vmsim_write32(m, VMSIM_SUPERVISOR, 0x1000, 42); /* paging off: physical 0x1000 */
    vmsim_read32(m, VMSIM_SUPERVISOR, 0x1000, &value);
    vmsim_destroy(m);
    if (value != 42)
        return 1;
    printf("consumer ok (libvmsim %s)\n", vmsim_version());
    return 0;
}
