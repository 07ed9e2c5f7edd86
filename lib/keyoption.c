/*
 * keyoption.c: a key list an option gives (--by, --key), parsed, checked
 * and watched (driver.h).  A file of its own so that a program that takes
 * no key list does not link lib/keys (and its hash library).
 */
#include <stdio.h>

#include "driver.h"
#include "keys.h"

int
weir_keys_option(struct weir_ctx *ctx, struct weir_keys *k, const char *option,
    const char *list, char *err, size_t errlen)
{
	if (list == NULL)
		return 0;
	if (weir_keys_parse(k, ctx->plan, list) < 0) {
		snprintf(err, errlen, "bad %s '%s' (expected field paths separated by commas, at "
		    "most %d)", option, list, WEIR_MAX_KEY_FIELDS);
		return -1;
	}
	weir_watch_keys(ctx, option, k);
	return 0;
}
