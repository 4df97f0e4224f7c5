#include "lines.h"

int lines_add(struct buffer *buf, const char *s)
{
    if (buffer_append_str(buf, s) != 0) {
        return -1;
    }
    return buffer_append(buf, "\n", 1);
}

size_t lines_count(const struct buffer *buf)
{
    size_t count = 0;
    for (size_t i = 0; i < buf->len; i++) {
        if (buf->data[i] == '\n') {
            count++;
        }
    }
    if (buf->len > 0 && buf->data[buf->len - 1] != '\n') {
        count++;
    }
    return count;
}

void lines_chomp(struct buffer *buf)
{
    if (buf->len > 0 && buf->data[buf->len - 1] == '\n') {
        buf->len--;
        buf->data[buf->len] = '\0';
    }
}
