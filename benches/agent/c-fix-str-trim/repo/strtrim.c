#include "strtrim.h"

#include <ctype.h>
#include <string.h>

char *str_trim_left(char *s)
{
    size_t start = 0;
    while (s[start] != '\0' && isspace((unsigned char)s[start])) {
        start++;
    }
    if (start > 0) {
        memmove(s, s + start, strlen(s + start) + 1);
    }
    return s;
}

char *str_trim_right(char *s)
{
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len])) {
        len--;
    }
    s[len] = '\0';
    return s;
}

char *str_trim(char *s)
{
    return str_trim_left(str_trim_right(s));
}

char *str_squeeze(char *s)
{
    size_t out = 0;
    int in_space = 0;
    str_trim(s);
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (isspace((unsigned char)s[i])) {
            in_space = 1;
            continue;
        }
        if (in_space) {
            s[out++] = ' ';
            in_space = 0;
        }
        s[out++] = s[i];
    }
    s[out] = '\0';
    return s;
}
