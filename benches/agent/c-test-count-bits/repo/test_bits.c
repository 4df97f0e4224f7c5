#include <stdio.h>

#include "bits.h"

static int failures = 0;

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (!(cond)) {                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                    \
            failures++;                                                  \
        }                                                                \
    } while (0)

int main(void)
{
    CHECK(is_power_of_two(1));
    CHECK(is_power_of_two(1024));
    CHECK(!is_power_of_two(0));
    CHECK(!is_power_of_two(12));

    CHECK(next_power_of_two(0) == 1);
    CHECK(next_power_of_two(5) == 8);
    CHECK(next_power_of_two(64) == 64);
    CHECK(next_power_of_two(0x80000001u) == 0);

    CHECK(reverse_bits(1) == 0x80000000u);
    CHECK(reverse_bits(0xF0u) == 0x0F000000u);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all bits tests passed\n");
    return 0;
}
