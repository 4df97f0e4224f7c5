#include "ringbuf.h"

#include <stdlib.h>

int rb_init(struct ringbuf *rb, size_t capacity)
{
    if (capacity == 0) {
        return -1;
    }
    rb->items = malloc(capacity * sizeof *rb->items);
    if (rb->items == NULL) {
        return -1;
    }
    rb->capacity = capacity;
    rb->head = 0;
    rb->count = 0;
    return 0;
}

void rb_free(struct ringbuf *rb)
{
    free(rb->items);
    rb->items = NULL;
    rb->capacity = rb->head = rb->count = 0;
}

size_t rb_size(const struct ringbuf *rb)
{
    return rb->count;
}

int rb_is_full(const struct ringbuf *rb)
{
    return rb->count == rb->capacity;
}

int rb_push(struct ringbuf *rb, int value)
{
    /* TODO: not implemented yet */
    (void)rb;
    (void)value;
    return 0;
}

int rb_pop(struct ringbuf *rb, int *out)
{
    /* TODO: not implemented yet */
    (void)rb;
    (void)out;
    return 0;
}

int rb_peek(const struct ringbuf *rb, int *out)
{
    if (rb->count == 0) {
        return -1;
    }
    *out = rb->items[rb->head];
    return 0;
}
