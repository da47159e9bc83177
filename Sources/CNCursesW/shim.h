#ifndef POOLTUI_CNCURSESW_SHIM_H
#define POOLTUI_CNCURSESW_SHIM_H

// SwiftPM drops pkg-config's -D flags, so the wide-character API must be asked for here,
// before curses.h is included.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// C globals and function-like macros do not import into Swift 6; these accessors do.
static inline WINDOW *pooltui_stdscr(void) { return stdscr; }
static inline FILE *pooltui_stdin(void) { return stdin; }
static inline FILE *pooltui_stdout(void) { return stdout; }
static inline int pooltui_columns(void) { return COLS; }
static inline int pooltui_rows(void) { return LINES; }
static inline attr_t pooltui_attr_bold(void) { return A_BOLD; }
static inline attr_t pooltui_attr_reverse(void) { return A_REVERSE; }
static inline attr_t pooltui_attr_dim(void) { return A_DIM; }
static inline attr_t pooltui_attr_normal(void) { return A_NORMAL; }
static inline int pooltui_key_f(int n) { return KEY_F(n); }
static inline int pooltui_err(void) { return ERR; }
static inline int pooltui_key_code_yes(void) { return KEY_CODE_YES; }

/// Sets the attributes and color pair for what is drawn next.
static inline void pooltui_set_style(WINDOW *window, attr_t attributes, short pair) {
    wattr_set(window, attributes, pair, NULL);
}

/// Draws `count` wide characters from the start of `row`. Lines are always as wide as
/// the screen, so nothing is left to clear (and clearing after a full-width line would
/// clear the next one, where the cursor wrapped).
static inline void pooltui_draw_line(WINDOW *window, int row, const wchar_t *text, int count) {
    mvwaddnwstr(window, row, 0, text, count);
}

/// Draws `count` wide characters at `row`, `column` (a span over a drawn line).
static inline void pooltui_draw_at(WINDOW *window, int row, int column, const wchar_t *text, int count) {
    mvwaddnwstr(window, row, column, text, count);
}

#endif
