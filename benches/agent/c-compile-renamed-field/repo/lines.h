#ifndef LINES_H
#define LINES_H

#include <stddef.h>

#include "buffer.h"

/* Appends s followed by a newline. Returns 0, or -1 when out of memory. */
int lines_add(struct buffer *buf, const char *s);

/* Number of lines in buf: newline characters, plus one if the text does not end
 * with a newline (an empty buffer has none). */
size_t lines_count(const struct buffer *buf);

/* Removes a trailing newline, if there is one. */
void lines_chomp(struct buffer *buf);

#endif
