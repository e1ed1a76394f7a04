/* A small JSON reader for the host tests (the vectors are JSON): parses a whole file into a static node pool.
 * Enough for firmware-bridge/vectors: objects, arrays, strings with simple escapes, integers, true/false/null. */
#ifndef TEST_JSON_H
#define TEST_JSON_H

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } json_kind;

typedef struct json {
  json_kind kind;
  const char *key;   /* member name inside an object */
  const char *str;   /* J_STR */
  double num;        /* J_NUM, J_BOOL (0/1) */
  struct json *child, *next;
} json;

/* Parse the file at path; NULL (with a message on stderr) when it cannot be read or parsed. */
json *json_load(const char *path);
json *json_get(const json *obj, const char *key);
int json_count(const json *arr);

#endif
