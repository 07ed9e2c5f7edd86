/* Runs a fuzz target over files (a corpus), without libFuzzer: how
 * `make check` replays every committed input under ASan and UBSan. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		rewind(f);
		uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
		if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
			return 1;
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		free(buf);
	}
	printf("%d inputs\n", argc - 1);
	return 0;
}
