#ifndef STRTRIM_H
#define STRTRIM_H

#include <stddef.h>

/* Removes leading whitespace in place (moves the text to the start); returns s. */
char *str_trim_left(char *s);

/* Removes trailing whitespace in place; returns s. */
char *str_trim_right(char *s);

/* Removes leading and trailing whitespace in place; returns s. */
char *str_trim(char *s);

/* Replaces every run of whitespace inside s with a single space, in place, after
 * trimming both ends; returns s. */
char *str_squeeze(char *s);

#endif
