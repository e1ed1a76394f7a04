#include "json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL 8192
static json pool[POOL];
static int used;
static char text[1 << 20];
static const char *err;

static json *node(json_kind k) {
  json *n;
  if (used == POOL) {
    err = "too many nodes";
    return NULL;
  }
  n = &pool[used++];
  memset(n, 0, sizeof *n);
  n->kind = k;
  return n;
}

static char *ws(char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
  return p;
}

/* Strings are unescaped in place (the result is never longer than the source). */
static char *string(char *p, const char **out) {
  char *w = ++p, *start = p;
  while (*p && *p != '"') {
    if (*p == '\\') {
      p++;
      switch (*p) {
        case 'n': *w++ = '\n'; break;
        case 't': *w++ = '\t'; break;
        case 'u': *w++ = (char)strtol((char[]){p[1], p[2], p[3], p[4], 0}, NULL, 16); p += 4; break;
        default: *w++ = *p;
      }
      p++;
    } else {
      *w++ = *p++;
    }
  }
  if (*p != '"') {
    err = "unterminated string";
    return NULL;
  }
  *w = '\0';
  *out = start;
  return p + 1;
}

static char *value(char *p, json **out);

static char *members(char *p, json *parent, int object) {
  json **tail = &parent->child;
  char close = object ? '}' : ']';
  p = ws(p + 1);
  if (*p == close) return p + 1;
  for (;;) {
    const char *key = NULL;
    json *v;
    p = ws(p);
    if (object) {
      if (*p != '"' || !(p = string(p, &key))) return err = err ? err : "expected a key", NULL;
      p = ws(p);
      if (*p != ':') return err = "expected ':'", NULL;
      p++;
    }
    if (!(p = value(ws(p), &v))) return NULL;
    v->key = key;
    *tail = v;
    tail = &v->next;
    p = ws(p);
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == close) return p + 1;
    return err = "expected ',' or a closing bracket", NULL;
  }
}

static char *value(char *p, json **out) {
  json *n;
  if (*p == '{' || *p == '[') {
    if (!(n = node(*p == '{' ? J_OBJ : J_ARR))) return NULL;
    *out = n;
    return members(p, n, *p == '{');
  }
  if (*p == '"') {
    if (!(n = node(J_STR))) return NULL;
    *out = n;
    return string(p, &n->str);
  }
  if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
    if (!(n = node(J_BOOL))) return NULL;
    n->num = *p == 't';
    *out = n;
    return p + (*p == 't' ? 4 : 5);
  }
  if (!strncmp(p, "null", 4)) {
    if (!(n = node(J_NULL))) return NULL;
    *out = n;
    return p + 4;
  }
  if (*p == '-' || (*p >= '0' && *p <= '9')) {
    char *end;
    if (!(n = node(J_NUM))) return NULL;
    n->num = strtod(p, &end);
    *out = n;
    return end;
  }
  err = "unexpected character";
  return NULL;
}

json *json_load(const char *path) {
  FILE *f = fopen(path, "rb");
  size_t n;
  json *root = NULL;
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  used = 0;
  err = NULL;
  if (!value(ws(text), &root)) {
    fprintf(stderr, "%s: %s\n", path, err ? err : "parse error");
    return NULL;
  }
  return root;
}

json *json_get(const json *obj, const char *key) {
  json *c;
  for (c = obj ? obj->child : NULL; c; c = c->next)
    if (c->key && strcmp(c->key, key) == 0) return c;
  return NULL;
}

int json_count(const json *arr) {
  int n = 0;
  json *c;
  for (c = arr ? arr->child : NULL; c; c = c->next) n++;
  return n;
}
