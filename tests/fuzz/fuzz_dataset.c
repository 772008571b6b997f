/* fuzz_dataset.c — the prepared-dataset loader (tide_dataset_read) on arbitrary bytes, written
 * to a scratch file since the loader takes a path. Every file must load or be refused with a
 * message; a loaded one must hold consistent entries. */
#include "fuzz_util.h"

#include "dataset.h"
#include "error.h"
#include "limit.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 64u << 20);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    const char *path = fuzz_scratch("ds");
    fuzz_write(path, d, n, 1);
    tide_ds_entry *e = NULL;
    int ne = 0;
    if (tide_dataset_read(path, &e, &ne) == TIDE_OK) {
        for (int i = 0; i < ne; i++) {
            FUZZ_CHECK(e[i].name != NULL, "entry %d has no name", i);
            if (e[i].kind == TIDE_DS_BYTES) FUZZ_CHECK(e[i].bytes != NULL, "entry %d: no bytes", i);
            else FUZZ_CHECK(e[i].t != NULL && e[i].t->ndim == 1, "entry %d: no 1-D tensor", i);
        }
        tide_dataset_free(e, ne);
    } else {
        FUZZ_CHECK(tide_error()[0] != 0, "refused without a message");
    }
    return 0;
}
