#ifndef BITS_H
#define BITS_H

#include <stdint.h>

/* Number of bits set in x (population count). */
int count_bits(uint32_t x);

/* 1 if x is a power of two (1, 2, 4, ...), else 0. */
int is_power_of_two(uint32_t x);

/* Smallest power of two >= x; 1 for x == 0; 0 if it does not fit in 32 bits. */
uint32_t next_power_of_two(uint32_t x);

/* x with its 32 bits in reverse order. */
uint32_t reverse_bits(uint32_t x);

#endif
