#include "bits.h"

int count_bits(uint32_t x)
{
    int count = 0;
    for (int i = 0; i < 31; i++) {
        if (x & ((uint32_t)1 << i)) {
            count++;
        }
    }
    return count;
}

int is_power_of_two(uint32_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

uint32_t next_power_of_two(uint32_t x)
{
    if (x <= 1) {
        return 1;
    }
    if (x > 0x80000000u) {
        return 0;
    }
    x--;
    x |= x >> 1;
    x |= x >> 2;
    x |= x >> 4;
    x |= x >> 8;
    x |= x >> 16;
    return x + 1;
}

uint32_t reverse_bits(uint32_t x)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++) {
        r = (r << 1) | (x & 1);
        x >>= 1;
    }
    return r;
}
