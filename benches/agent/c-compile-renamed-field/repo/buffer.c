#include "buffer.h"

#include <stdlib.h>
#include <string.h>

int buffer_init(struct buffer *buf)
{
    buf->capacity = 16;
    buf->length = 0;
    buf->data = malloc(buf->capacity);
    if (buf->data == NULL) {
        return -1;
    }
    buf->data[0] = '\0';
    return 0;
}

static int reserve(struct buffer *buf, size_t extra)
{
    size_t needed = buf->length + extra + 1;
    if (needed <= buf->capacity) {
        return 0;
    }
    size_t capacity = buf->capacity * 2;
    while (capacity < needed) {
        capacity *= 2;
    }
    char *data = realloc(buf->data, capacity);
    if (data == NULL) {
        return -1;
    }
    buf->data = data;
    buf->capacity = capacity;
    return 0;
}

int buffer_append(struct buffer *buf, const char *bytes, size_t n)
{
    if (reserve(buf, n) != 0) {
        return -1;
    }
    memcpy(buf->data + buf->length, bytes, n);
    buf->length += n;
    buf->data[buf->length] = '\0';
    return 0;
}

int buffer_append_str(struct buffer *buf, const char *s)
{
    return buffer_append(buf, s, strlen(s));
}

void buffer_clear(struct buffer *buf)
{
    buf->length = 0;
    buf->data[0] = '\0';
}

void buffer_free(struct buffer *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->length = 0;
    buf->capacity = 0;
}
