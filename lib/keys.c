/*
 * keys.c: keys from a list of fields (weir-window and weir-agg --by,
 * weir-join --on): their bytes, their hash, and comparing them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY	/* XXH3_state_t on the stack */
#include <xxhash.h>

#include "io.h"
#include "keys.h"
#include "map.h"

/*
 * The text a key value compares by (SPEC 7a): a string's characters, its
 * escapes decoded, so "jos\u00e9" is "josé"; any other value its JSON text,
 * so the number 1042 and the string "1042" are one key, as Miller joins.
 * A string whose characters include a byte below 2 (\u0000, \u0001)
 * keeps its JSON text instead, so that no key's bytes can run into the
 * separator or the mark of a missing field.
 *
 * Writes into out (at least v->n bytes: decoding only shrinks) when the
 * value is a string with an escape; returns where the text is, its length
 * in *n.
 */
static const char *
key_text(const struct weir_span *v, char *out, size_t *n)
{
	if (!weir_span_is_string(v)) {
		*n = v->n;
		return v->p;
	}
	if (memchr(v->p + 1, '\\', v->n - 2) == NULL) {
		*n = v->n - 2;
		return v->p + 1;
	}
	long k = weir_span_unescape(v, out, v->n);
	for (long i = 0; i < k; i++)
		if ((unsigned char)out[i] < 2)
			k = -1;
	if (k < 0) {
		*n = v->n;
		return v->p;
	}
	*n = (size_t)k;
	return out;
}

int
weir_keys_parse(struct weir_keys *k, struct weir_plan *plan, const char *list)
{
	k->n = weir_plan_add_list(plan, list, k->slots, WEIR_MAX_KEY_FIELDS);
	if (k->n < 0) {
		k->n = 0;
		return -1;
	}
	/* the output name of each field: the path as given, its escapes
	 * undone (`a\.b` names the member "a.b"); split as the plan splits */
	size_t len = strlen(list);
	char *name = malloc(len + 1);
	if (name == NULL)
		return -1;
	int i = 0;
	size_t n = 0;
	for (const char *p = list;; p++) {
		if (*p == '\\' && p[1]) {
			name[n++] = *++p;
			continue;
		}
		if (*p != ',' && *p != '\0') {
			name[n++] = *p;
			continue;
		}
		size_t cap = 6 * n + 3;
		if (i == k->n || (k->names[i] = malloc(cap)) == NULL)
			break;
		long q = weir_json_quote(k->names[i], cap, 0, name, n);
		k->names[i][q < 0 ? 0 : q] = '\0';
		k->name_len[i] = q < 0 ? 0 : (size_t)q;
		i++;
		n = 0;
		if (*p == '\0')
			break;
	}
	free(name);
	return i == k->n ? 0 : -1;
}

int
weir_keys_split_pairs(const char *list, char **left, char **right)
{
	size_t len = strlen(list);
	char *l = malloc(len + 1), *r = malloc(len + 1);
	size_t ln = 0, rn = 0;
	*left = l;
	*right = r;
	if (l == NULL || r == NULL)
		return -1;
	const char *item = list;
	for (const char *p = list;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p != ',' && *p != '\0')
			continue;
		/* item..p: one name, or LEFT=RIGHT at its first unescaped '=' */
		const char *eq = NULL;
		for (const char *q = item; q < p && eq == NULL; q++) {
			if (*q == '\\' && q + 1 < p)
				q++;
			else if (*q == '=')
				eq = q;
		}
		const char *lend = eq ? eq : p, *rfrom = eq ? eq + 1 : item;
		if (lend == item || rfrom == p)
			return -1;
		if (ln > 0)
			l[ln++] = ',';
		if (rn > 0)
			r[rn++] = ',';
		memcpy(l + ln, item, (size_t)(lend - item));
		ln += (size_t)(lend - item);
		memcpy(r + rn, rfrom, (size_t)(p - rfrom));
		rn += (size_t)(p - rfrom);
		if (*p == '\0')
			break;
		item = p + 1;
	}
	l[ln] = r[rn] = '\0';
	return 0;
}

void
weir_keys_free(struct weir_keys *k)
{
	for (int i = 0; i < WEIR_MAX_KEY_FIELDS; i++) {
		free(k->names[i]);
		k->names[i] = NULL;
	}
	k->n = 0;
}

long
weir_keys_bytes(const struct weir_keys *k, const struct weir_span *spans, char **buf,
    size_t *cap)
{
	size_t need = 1;
	for (int i = 0; i < k->n; i++)
		need += spans[k->slots[i]].n + 2;
	if (weir_reserve(buf, cap, need) < 0)
		return -1;
	size_t len = 0;
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		if (v->p == NULL) {
			(*buf)[len++] = '\1';
		} else {
			size_t n;
			const char *t = key_text(v, *buf + len, &n);
			memmove(*buf + len, t, n);
			len += n;
		}
		(*buf)[len++] = '\0';
	}
	return (long)len;
}

/* Keys up to this size are gathered on the stack and hashed at once;
 * longer ones stream through XXH3, which gives the same hash. */
#define KEY_STACK 512

/* The key bytes into buf[0..KEY_STACK): their length, or -1 when they may
 * not fit (decoding only shrinks, so the values' sizes as written bound
 * them). */
static long
key_gather(const struct weir_keys *k, const struct weir_span *spans, char *buf)
{
	size_t need = 0;
	for (int i = 0; i < k->n; i++)
		need += spans[k->slots[i]].n + 2;
	if (need > KEY_STACK)
		return -1;
	size_t n = 0;
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		if (v->p == NULL) {
			buf[n++] = '\1';
		} else {
			size_t tn;
			const char *t = key_text(v, buf + n, &tn);
			memmove(buf + n, t, tn);
			n += tn;
		}
		buf[n++] = '\0';
	}
	return (long)n;
}

/* The key bytes streamed into st, a field at a time; the last NUL too
 * with last_nul (weir_keys_hash128; weir_keys_bytes_hash leaves it). */
static void
key_stream(const struct weir_keys *k, const struct weir_span *spans, XXH3_state_t *st,
    bool last_nul)
{
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		if (v->p == NULL) {
			XXH3_64bits_update(st, "\1", 1);
		} else {
			char *out = malloc(v->n);
			size_t tn = v->n;
			const char *t = out ? key_text(v, out, &tn) : v->p;
			XXH3_64bits_update(st, t, tn);
			free(out);
		}
		if (i + 1 < k->n || last_nul)
			XXH3_64bits_update(st, "", 1);
	}
}

uint64_t
weir_keys_bytes_hash(const char *bytes, size_t len)
{
	return weir_map_hash(bytes, len ? len - 1 : 0);
}

/* The key's bytes but the last NUL: one field's text hashed where it is
 * (no copy, which the hash would read back before the copy's stores
 * reach the cache), else gathered or streamed. */
uint64_t
weir_keys_hash(const struct weir_keys *k, const struct weir_span *spans)
{
	char buf[KEY_STACK];
	if (k->n == 1 && spans[k->slots[0]].n <= KEY_STACK) {
		const struct weir_span *v = &spans[k->slots[0]];
		size_t tn;
		const char *t = v->p ? key_text(v, buf, &tn) : "\1";
		return weir_map_hash(t, v->p ? tn : 1);
	}
	long n = key_gather(k, spans, buf);
	if (n >= 0)
		return weir_keys_bytes_hash(buf, (size_t)n);
	XXH3_state_t st;
	XXH3_64bits_reset(&st);
	key_stream(k, spans, &st, false);
	return XXH3_64bits_digest(&st);
}

void
weir_keys_hash128(const struct weir_keys *k, const struct weir_span *spans, uint64_t out[2])
{
	char buf[KEY_STACK];
	long n = key_gather(k, spans, buf);
	XXH128_hash_t h;
	if (n >= 0) {
		h = XXH3_128bits(buf, (size_t)n);
	} else {
		/* the 128-bit update is the 64-bit one; only the digest differs */
		XXH3_state_t st;
		XXH3_128bits_reset(&st);
		key_stream(k, spans, &st, true);
		h = XXH3_128bits_digest(&st);
	}
	out[0] = h.low64;
	out[1] = h.high64;
}

void
weir_keys_digest(const struct weir_keys *k, const struct weir_span *spans, uint64_t digest[2])
{
	digest[1] = WEIR_KEY_COMPLETE;
	for (int i = 0; i < k->n; i++)
		if (spans[k->slots[i]].p == NULL)
			digest[1] = 0;
	digest[0] = digest[1] ? weir_keys_hash(k, spans) : 0;
}

bool
weir_keys_equal(const struct weir_keys *k, const struct weir_span *spans, const char *bytes,
    size_t len)
{
	size_t at = 0;
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		char stack[KEY_STACK], *out = NULL;
		const char *p = "\1";
		size_t n = 1;
		if (v->p != NULL) {
			out = v->n <= sizeof stack ? stack : malloc(v->n);
			if (out == NULL)
				return false;
			p = key_text(v, out, &n);
		}
		bool same = len - at >= n + 1 && memcmp(bytes + at, p, n) == 0 &&
		    bytes[at + n] == '\0';
		if (out != stack)
			free(out);
		if (!same)
			return false;
		at += n + 1;
	}
	return at == len;
}

char *
weir_keys_members(const struct weir_keys *k, const struct weir_span *spans, size_t *len)
{
	size_t need = 1;
	for (int i = 0; i < k->n; i++)
		need += strlen(k->names[i]) + spans[k->slots[i]].n + 2;
	char *m = malloc(need);
	if (m == NULL)
		return NULL;
	size_t n = 0;
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		if (v->p == NULL)
			continue;
		if (n)
			m[n++] = ',';
		size_t nl = strlen(k->names[i]);
		memcpy(m + n, k->names[i], nl);
		n += nl;
		m[n++] = ':';
		memcpy(m + n, v->p, v->n);
		n += v->n;
	}
	m[n] = '\0';
	*len = n;
	return m;
}

bool
weir_keys_is_name(const struct weir_keys *k, const struct weir_span *name)
{
	for (int i = 0; i < k->n; i++)
		if (k->name_len[i] == name->n && memcmp(k->names[i], name->p, name->n) == 0)
			return true;
	return false;
}

/* A new key in *set with a copy of bytes and the given members (taken:
 * freed here when memory runs out). */
static struct weir_held_key *
held_key_new(struct weir_held_key **set, const char *bytes, size_t len, char *members,
    size_t members_len, size_t size)
{
	struct weir_held_key *k = calloc(1, size);
	if (k == NULL || (k->bytes = malloc(len + 1)) == NULL) {
		free(k);
		free(members);
		return NULL;
	}
	memcpy(k->bytes, bytes, len);
	k->len = len;
	k->members = members;
	k->members_len = members_len;
	HASH_ADD_KEYPTR(hh, *set, k->bytes, k->len, k);
	return k;
}

struct weir_held_key *
weir_held_key_add(struct weir_held_key **set, const char *bytes, size_t len,
    const char *members, size_t members_len, size_t size)
{
	char *m = malloc(members_len + 1);
	if (m == NULL)
		return NULL;
	memcpy(m, members, members_len);
	m[members_len] = '\0';
	return held_key_new(set, bytes, len, m, members_len, size);
}

struct weir_held_key *
weir_held_key_of(struct weir_held_key **set, const struct weir_keys *by,
    const struct weir_span *fields, size_t size, char **scratch, size_t *cap)
{
	long len = weir_keys_bytes(by, fields, scratch, cap);
	if (len < 0)
		return NULL;
	struct weir_held_key *k;
	HASH_FIND(hh, *set, *scratch, (size_t)len, k);
	if (k != NULL)
		return k;
	size_t mlen;
	char *members = weir_keys_members(by, fields, &mlen);
	return members ? held_key_new(set, *scratch, (size_t)len, members, mlen, size) : NULL;
}

int
weir_held_keys_load(struct weir_held_key **set, const struct weir_keys *by,
    const struct weir_plan *plan, size_t size, const char *path, char *err, size_t errlen)
{
	size_t plen = strlen(path);
	bool csv = plen > 4 && strcmp(path + plen - 4, ".csv") == 0;
	struct weir_input *in = weir_input_open(path, csv);
	struct weir_span *spans = calloc(weir_plan_size(plan) + 1, sizeof *spans);
	char *scratch = NULL;
	size_t scap = 0;
	int rc = 0;
	if (in == NULL || spans == NULL) {
		snprintf(err, errlen, "--fill-keys: cannot open '%s': %s", path,
		    in ? "out of memory" : strerror(errno));
		rc = -1;
	}
	while (rc == 0) {
		const char *line, *why;
		size_t len;
		uint64_t lineno;
		int got = weir_input_next(in, &line, &len, &lineno);
		if (got <= 0) {
			if (got < 0) {
				snprintf(err, errlen, "--fill-keys: cannot read '%s': %s", path,
				    strerror(errno));
				rc = -1;
			}
			break;
		}
		if (strspn(line, " \t") == len)
			continue;	/* a blank line */
		if ((why = weir_input_rejected(in)) != NULL ||
		    weir_scan(plan, line, len, spans, &why) < 0) {
			snprintf(err, errlen, "--fill-keys %s:%llu: %s", path,
			    (unsigned long long)lineno, why ? why : "not a JSON object");
			rc = -1;
			break;
		}
		struct weir_held_key *k = weir_held_key_of(set, by, spans, size, &scratch, &scap);
		if (k == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		} else if (!k->filled_any) {
			k->filled = INT64_MIN;	/* in a row from the first window on */
			k->filled_any = true;
		}
	}
	weir_input_close(in);
	free(scratch);
	free(spans);
	return rc;
}

void
weir_held_key_drop(struct weir_held_key **set, struct weir_held_key *k)
{
	HASH_DEL(*set, k);
	free(k->bytes);
	free(k->members);
	free(k);
}
