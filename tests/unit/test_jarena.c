/*
 * test_jarena.c - jansson's blocks of a parsed batch in an arena
 * (console/jarena.c): a tree parsed in an arena reads as one parsed with
 * malloc and needs no walk to free; a block larger than a chunk comes from
 * malloc (the arena is mixed, the fallback counted) and is freed by
 * json_decref; outside an arena jansson's text is still free()'d; chunks
 * given back are used again; store_batch_parse works with arenas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "jarena.h"
#include "store.h"

static int setup(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(jarena_install(err, sizeof(err)), 0);
	return 0;
}

static void test_tree_in_an_arena(void **state)
{
	static const char doc[] = "{\"first_seq\":7,\"events\":[{\"event_type\":\"flow\",\"n\":1},"
				  "{\"event_type\":\"dns\",\"q\":\"example.org\"}]}";
	struct jarena *a;
	json_error_t je;
	json_t *root;
	char *text;

	(void)state;
	a = jarena_begin();
	assert_non_null(a);
	root = json_loadb(doc, strlen(doc), 0, &je);
	jarena_end();
	assert_non_null(root);
	assert_false(jarena_mixed(a));
	assert_int_equal(json_integer_value(json_object_get(root, "first_seq")), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(root, "events"), 1), "q")), "example.org");
	/* text made outside the arena: malloc's, freed with free() */
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(text);
	assert_string_equal(text, doc);
	free(text);
	/* a reference taken and let go while the arena lives */
	json_decref(json_incref(json_object_get(root, "events")));
	jarena_free(a);
}

static void test_large_block_from_malloc(void **state)
{
	size_t n = JARENA_CHUNK + 100, len;
	uint64_t before = jarena_fallbacks();
	char *doc = malloc(n + 16);
	struct jarena *a;
	json_error_t je;
	json_t *root;

	(void)state;
	assert_non_null(doc);
	len = (size_t)snprintf(doc, 16, "{\"s\":\"");
	memset(doc + len, 'x', n);
	memcpy(doc + len + n, "\"}", 3);
	a = jarena_begin();
	root = json_loads(doc, 0, &je);
	jarena_end();
	assert_non_null(root);
	assert_true(jarena_mixed(a));
	assert_true(jarena_fallbacks() > before);
	assert_int_equal(json_string_length(json_object_get(root, "s")), n);
	json_decref(root);              /* mixed: walked, malloc's blocks freed */
	jarena_free(a);
	free(doc);
}

static void test_chunks_used_again(void **state)
{
	struct jarena *a, *b;
	json_t *x, *y;

	(void)state;
	a = jarena_begin();
	x = json_string("first");
	jarena_end();
	jarena_free(a);
	b = jarena_begin();
	y = json_string("second");
	jarena_end();
	/* the chunk a gave back holds b's value now */
	assert_ptr_equal(x, y);
	assert_string_equal(json_string_value(y), "second");
	jarena_free(b);
}

static void test_batches_parse_in_arenas(void **state)
{
	static const char gw[] = "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\"},"
				 "{\"event_type\":\"alert\",\"alert\":{\"signature\":\"s1\","
				 "\"severity\":2}}]}";
	struct store_batch *b1 = NULL, *b2 = NULL;
	const char *type;
	int64_t seq;
	char err[256];

	(void)state;
	assert_int_equal(store_batch_parse(gw, strlen(gw), &b1, err, sizeof(err)), 0);
	assert_int_equal(store_batch_parse(gw, strlen(gw), &b2, err, sizeof(err)), 0);
	assert_int_equal(store_batch_events(b1), 2);
	assert_non_null(store_batch_event(b1, 1, &type, &seq));
	assert_string_equal(type, "alert");
	assert_int_equal(seq, 2);
	store_batch_free(b1);
	/* b2 is untouched by b1's arena going */
	assert_non_null(store_batch_event(b2, 0, &type, &seq));
	assert_string_equal(type, "flow");
	store_batch_free(b2);
	/* a malformed batch frees its arena too */
	assert_int_equal(store_batch_parse("{\"first_seq\":", 13, &b1, err, sizeof(err)), -1);
	assert_null(b1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_in_an_arena),
		cmocka_unit_test(test_large_block_from_malloc),
		cmocka_unit_test(test_chunks_used_again),
		cmocka_unit_test(test_batches_parse_in_arenas),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
