/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The passphrase of the identity key: asking for it (on the terminal
 * without echo, or one line from a descriptor) to unlock the key at
 * start, and setting, changing or removing it (--passphrase).
 */
#ifndef P2PTUI_PASS_H
#define P2PTUI_PASS_H

struct ident;
struct ident_cost;

#define PASS_TRIES 3 /* on the terminal */
#define PASS_NOFD -1

/*
 * The identity in dir, created without a passphrase (setting *created)
 * if there is none. A passphrase is one line read from fd, or, without
 * an fd, asked on the terminal if ask is set (PASS_TRIES tries). A given
 * fd is closed after use (the standard streams only read from). A wrong
 * passphrase changes nothing on disk. NULL with *cause (caller frees).
 */
struct ident *pass_load(
    const char *dir, int fd, int ask, int *created, char **cause);

/*
 * Set, change or remove the passphrase of the key in dir (creating a
 * protected key if there is none): the current passphrase if there is
 * one, then the new one (empty: remove), from the lines of fd or asked
 * on the terminal (the new one twice). New passphrases use cost. Says
 * what it did on standard error. -1 with *cause (caller frees).
 */
int pass_change(
    const char *dir, int fd, const struct ident_cost *cost, char **cause);

#endif
