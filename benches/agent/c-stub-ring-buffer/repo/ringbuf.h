#ifndef RINGBUF_H
#define RINGBUF_H

#include <stddef.h>

/* A fixed-capacity FIFO queue of ints stored in a circular array.
 * items[head] is the oldest element; count elements follow it, wrapping
 * around at capacity. */
struct ringbuf {
    int *items;
    size_t capacity;
    size_t head;
    size_t count;
};

/* Allocates room for capacity items (capacity > 0). Returns 0, or -1 on failure. */
int rb_init(struct ringbuf *rb, size_t capacity);

void rb_free(struct ringbuf *rb);

size_t rb_size(const struct ringbuf *rb);

int rb_is_full(const struct ringbuf *rb);

/* Adds value at the back. Returns 0, or -1 (and changes nothing) when full. */
int rb_push(struct ringbuf *rb, int value);

/* Removes the front (oldest) value and stores it in *out. Returns 0, or -1
 * (leaving *out untouched) when empty. */
int rb_pop(struct ringbuf *rb, int *out);

/* Stores the front value in *out without removing it. Returns 0, or -1 when empty. */
int rb_peek(const struct ringbuf *rb, int *out);

#endif
