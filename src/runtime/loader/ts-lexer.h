/*
 * Tokenizer for the TorchScript source files of a .pt archive
 * (code/__torch__/...py): the Python subset torch.jit.save prints.
 *
 * Indentation becomes INDENT / DEDENT tokens and line ends NEWLINE tokens,
 * as in Python; inside brackets line ends are ignored (the printer splits
 * long signatures over lines). The text is untrusted: token lengths, the
 * token count, bracket nesting and indentation depth are bounded, and every
 * error names the file and line ("code/__torch__.py:12: unterminated
 * string").
 */
#ifndef Q8_RUNTIME_LOADER_TS_LEXER_H
#define Q8_RUNTIME_LOADER_TS_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"

/* Bounds against hostile sources (far above anything torch.jit.save prints). */
#define TS_MAX_NAME 1024           /* bytes in an identifier */
#define TS_MAX_STRING (64u << 10)  /* bytes in a string literal */
#define TS_MAX_NUMBER 64           /* characters in a number literal */
#define TS_MAX_TOKENS (4u << 20)   /* tokens in one file */
#define TS_MAX_BRACKETS 64         /* open ( [ { */
#define TS_MAX_INDENTS 64          /* indentation levels */

typedef enum ts_token_kind {
  ts_tok_end = 0,
  ts_tok_newline,
  ts_tok_indent,
  ts_tok_dedent,
  ts_tok_name,
  ts_tok_int,
  ts_tok_float,
  ts_tok_string,
  ts_tok_op, /* punctuation: ( ) [ ] , : . = -> == ... */
} ts_token_kind;

typedef struct ts_token {
  ts_token_kind kind;
  uint32_t line;      /* 1-based */
  const char* text;   /* name / op: into the source; string: decoded, NUL-terminated */
  size_t length;      /* bytes of text */
  int64_t integer;    /* ts_tok_int */
  double number;      /* ts_tok_float */
} ts_token;

typedef struct ts_tokens {
  ts_token* items; /* ends with one ts_tok_end */
  size_t count;
  char* strings;   /* decoded string literals */
} ts_tokens;

/* Tokenizes text[0, size); `file` names the source in messages. On
 * failure nothing stays allocated. */
q8_status ts_tokenize(const char* text, size_t size, const char* file, ts_tokens* out,
                      q8_error* error);

void ts_tokens_free(ts_tokens* tokens);

/* True if the token is a name / op spelled exactly `text`. */
bool ts_is_name(const ts_token* token, const char* text);
bool ts_is_op(const ts_token* token, const char* text);

#endif
