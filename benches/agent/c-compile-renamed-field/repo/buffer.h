#ifndef BUFFER_H
#define BUFFER_H

#include <stddef.h>

/* A growable byte buffer. data is always NUL-terminated. */
struct buffer {
    char *data;
    size_t length;   /* bytes used, not counting the NUL */
    size_t capacity; /* bytes allocated for data */
};

/* Initializes an empty buffer; returns 0, or -1 when out of memory. */
int buffer_init(struct buffer *buf);

/* Appends n bytes from bytes; returns 0, or -1 when out of memory. */
int buffer_append(struct buffer *buf, const char *bytes, size_t n);

/* Appends a NUL-terminated string. */
int buffer_append_str(struct buffer *buf, const char *s);

/* Empties the buffer without freeing its memory. */
void buffer_clear(struct buffer *buf);

void buffer_free(struct buffer *buf);

#endif
