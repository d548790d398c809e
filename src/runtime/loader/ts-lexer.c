#include "ts-lexer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../graph/graph.h"

typedef struct lexer {
  const char* text;
  size_t size, pos;
  uint32_t line;
  const char* file;
  ts_tokens* out;
  size_t capacity;
  size_t strings_used;
  int brackets;
  size_t indents[TS_MAX_INDENTS + 1]; /* indentation widths; indents[0] == 0 */
  size_t depth;
  q8_error* error;
} lexer;

static q8_status lex_fail(lexer* l, const char* what) {
  return q8_graph_fail(l->error, q8_status_invalid_parameter, "%s:%u: %s", l->file, l->line, what);
}

static q8_status emit(lexer* l, ts_token_kind kind, const char* text, size_t length) {
  /* One slot stays free for the final ts_tok_end. */
  if (l->out->count + 1 >= TS_MAX_TOKENS) return lex_fail(l, "too many tokens");
  if (l->out->count + 1 >= l->capacity) {
    const size_t next = l->capacity == 0 ? 256 : l->capacity * 2;
    ts_token* grown = realloc(l->out->items, next * sizeof(ts_token));
    if (grown == NULL)
      return q8_graph_fail(l->error, q8_status_out_of_memory, "%s: out of memory", l->file);
    l->out->items = grown;
    l->capacity = next;
  }
  ts_token* t = &l->out->items[l->out->count++];
  memset(t, 0, sizeof(*t));
  t->kind = kind;
  t->line = l->line;
  t->text = text;
  t->length = length;
  return q8_status_success;
}

/* At the start of a logical line: measures its indentation and emits
 * INDENT / DEDENTs. Blank and comment-only lines do not count. */
static q8_status lex_indentation(lexer* l, bool* blank) {
  size_t width = 0;
  while (l->pos < l->size && l->text[l->pos] == ' ') l->pos++, width++;
  if (l->pos < l->size && l->text[l->pos] == '\t')
    return lex_fail(l, "tab in indentation (TorchScript indents with spaces)");
  const char c = l->pos < l->size ? l->text[l->pos] : '\n';
  *blank = c == '\n' || c == '\r' || c == '#';
  if (*blank) return q8_status_success;
  q8_status status = q8_status_success;
  if (width > l->indents[l->depth]) {
    if (l->depth == TS_MAX_INDENTS) return lex_fail(l, "indentation nested too deeply");
    l->indents[++l->depth] = width;
    return emit(l, ts_tok_indent, "", 0);
  }
  while (status == q8_status_success && width < l->indents[l->depth]) {
    l->depth--;
    status = emit(l, ts_tok_dedent, "", 0);
  }
  if (status == q8_status_success && width != l->indents[l->depth])
    return lex_fail(l, "dedent to a width no enclosing block has");
  return status;
}

static bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static q8_status lex_name(lexer* l) {
  const size_t start = l->pos;
  while (l->pos < l->size && (is_name_start(l->text[l->pos]) || is_digit(l->text[l->pos]))) l->pos++;
  if (l->pos - start > TS_MAX_NAME) return lex_fail(l, "identifier too long");
  return emit(l, ts_tok_name, l->text + start, l->pos - start);
}

/* Integers in decimal; floats as the printer writes them (1., 0.5, 1e-05). */
static q8_status lex_number(lexer* l) {
  const size_t start = l->pos;
  bool is_float = false;
  while (l->pos < l->size) {
    const char c = l->text[l->pos];
    const bool exponent_sign =
        (c == '-' || c == '+') && (l->text[l->pos - 1] == 'e' || l->text[l->pos - 1] == 'E');
    if (!is_digit(c) && c != '.' && c != 'e' && c != 'E' && !exponent_sign) break;
    is_float = is_float || !is_digit(c);
    l->pos++;
  }
  const size_t n = l->pos - start;
  if (n > TS_MAX_NUMBER) return lex_fail(l, "number literal too long");
  char buffer[TS_MAX_NUMBER + 1];
  memcpy(buffer, l->text + start, n);
  buffer[n] = '\0';
  char* end = NULL;
  errno = 0;
  const double number = is_float ? strtod(buffer, &end) : 0.0;
  const long long integer = is_float ? 0 : strtoll(buffer, &end, 10);
  if (end != buffer + n || errno == ERANGE) return lex_fail(l, "malformed or out-of-range number");
  q8_status status = emit(l, is_float ? ts_tok_float : ts_tok_int, l->text + start, n);
  if (status != q8_status_success) return status;
  l->out->items[l->out->count - 1].integer = integer;
  l->out->items[l->out->count - 1].number = number;
  return q8_status_success;
}

static int escape_value(char c) {
  switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case '0': return '\0';
    case '\\': return '\\';
    case '\'': return '\'';
    case '"': return '"';
    default: return -1;
  }
}

/* A '...' or "..." literal (the printer never writes triple quotes), decoded
 * into the string pool, which is as large as the source: a decoded literal
 * plus its NUL is never longer than its quoted text. */
static q8_status lex_string(lexer* l) {
  const char quote = l->text[l->pos++];
  char* out = l->out->strings + l->strings_used;
  size_t n = 0;
  for (;;) {
    if (l->pos >= l->size || l->text[l->pos] == '\n') return lex_fail(l, "unterminated string");
    char c = l->text[l->pos++];
    if (c == quote) break;
    if (c == '\\') {
      const int e = l->pos < l->size ? escape_value(l->text[l->pos++]) : -1;
      if (e < 0) return lex_fail(l, "unsupported escape in string");
      c = (char)e;
    }
    if (n == TS_MAX_STRING) return lex_fail(l, "string literal too long");
    out[n++] = c;
  }
  out[n] = '\0';
  l->strings_used += n + 1;
  return emit(l, ts_tok_string, out, n);
}

static const char* const two_char_ops[] = {"->", "==", "!=", "<=", ">=", "**", "//", "+=", "-=", "*="};

static q8_status lex_op(lexer* l) {
  const char* p = l->text + l->pos;
  for (size_t i = 0; l->pos + 1 < l->size && i < sizeof(two_char_ops) / sizeof(two_char_ops[0]); i++)
    if (p[0] == two_char_ops[i][0] && p[1] == two_char_ops[i][1]) {
      l->pos += 2;
      return emit(l, ts_tok_op, p, 2);
    }
  if (strchr("()[]{},:.=+-*/%<>@&|^~!", *p) == NULL || *p == '\0') {
    char message[64];
    snprintf(message, sizeof(message), "unexpected character 0x%02x", (unsigned)(unsigned char)*p);
    return lex_fail(l, message);
  }
  if (*p == '(' || *p == '[' || *p == '{') {
    if (l->brackets == TS_MAX_BRACKETS) return lex_fail(l, "brackets nested too deeply");
    l->brackets++;
  } else if (*p == ')' || *p == ']' || *p == '}') {
    if (l->brackets == 0) return lex_fail(l, "unbalanced closing bracket");
    l->brackets--;
  }
  l->pos++;
  return emit(l, ts_tok_op, p, 1);
}

/* One token, or a line end, comment or run of spaces. */
static q8_status lex_step(lexer* l, bool* line_start) {
  const char c = l->text[l->pos];
  if (c == '\n') {
    l->pos++;
    q8_status status = q8_status_success;
    if (l->brackets == 0 && !*line_start) status = emit(l, ts_tok_newline, "", 0);
    l->line++;
    *line_start = l->brackets == 0;
    return status;
  }
  if (c == ' ' || c == '\r') {
    l->pos++;
    return q8_status_success;
  }
  if (c == '#') {
    while (l->pos < l->size && l->text[l->pos] != '\n') l->pos++;
    return q8_status_success;
  }
  if (c == '\\' && l->pos + 1 < l->size && l->text[l->pos + 1] == '\n') {
    l->pos += 2; /* explicit line joining */
    l->line++;
    return q8_status_success;
  }
  if (is_name_start(c)) return lex_name(l);
  if (is_digit(c) || (c == '.' && l->pos + 1 < l->size && is_digit(l->text[l->pos + 1])))
    return lex_number(l);
  if (c == '"' || c == '\'') return lex_string(l);
  return lex_op(l);
}

static q8_status lex_all(lexer* l) {
  bool line_start = true;
  q8_status status = q8_status_success;
  while (status == q8_status_success && l->pos < l->size) {
    if (line_start) {
      bool blank = false;
      status = lex_indentation(l, &blank);
      line_start = false;
      if (status != q8_status_success) break;
      if (blank) {
        /* Skip to the line end; lex_step emits nothing for it. */
        while (l->pos < l->size && l->text[l->pos] != '\n') l->pos++;
        line_start = true;
        if (l->pos < l->size) l->pos++, l->line++;
        continue;
      }
      if (l->pos >= l->size) break;
    }
    if (memchr(l->text + l->pos, '\0', 1) != NULL) return lex_fail(l, "NUL byte in source");
    status = lex_step(l, &line_start);
  }
  if (status != q8_status_success) return status;
  if (l->brackets != 0) return lex_fail(l, "unclosed bracket at end of file");
  if (!line_start) status = emit(l, ts_tok_newline, "", 0);
  while (status == q8_status_success && l->depth > 0) {
    l->depth--;
    status = emit(l, ts_tok_dedent, "", 0);
  }
  if (status == q8_status_success) status = emit(l, ts_tok_end, "", 0);
  return status;
}

q8_status ts_tokenize(const char* text, size_t size, const char* file, ts_tokens* out,
                      q8_error* error) {
  memset(out, 0, sizeof(*out));
  lexer l = {.text = text, .size = size, .line = 1, .file = file, .out = out, .error = error};
  out->strings = malloc(size + 1);
  if (out->strings == NULL)
    return q8_graph_fail(error, q8_status_out_of_memory, "%s: out of memory", file);
  q8_status status = lex_all(&l);
  if (status != q8_status_success) ts_tokens_free(out);
  return status;
}

void ts_tokens_free(ts_tokens* tokens) {
  free(tokens->items);
  free(tokens->strings);
  memset(tokens, 0, sizeof(*tokens));
}

bool ts_is_name(const ts_token* token, const char* text) {
  return token->kind == ts_tok_name && strlen(text) == token->length &&
         memcmp(token->text, text, token->length) == 0;
}

bool ts_is_op(const ts_token* token, const char* text) {
  return token->kind == ts_tok_op && strlen(text) == token->length &&
         memcmp(token->text, text, token->length) == 0;
}
