/* mpi_comm.c — MPI collectives for Tide (see mpi_comm.h). Only this file includes mpi.h.
 *
 * MPI takes int counts, so reductions and broadcasts of more than CHUNK elements are issued
 * in CHUNK-sized pieces (every rank cuts the same pieces, so the collectives still match);
 * all-gather needs int displacements, so its total is bounded by INT_MAX elements. */
#include "mpi_comm.h"

#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define CHUNK ((int64_t)1 << 28)

static MPI_Datatype mpi_type(tide_mpi_type dt)
{
    switch (dt) {
    case TIDE_MPI_F32: return MPI_FLOAT;
    case TIDE_MPI_I32: return MPI_INT32_T;
    case TIDE_MPI_I64: return MPI_INT64_T;
    default: return MPI_DOUBLE;
    }
}

size_t tide_mpi_type_size(tide_mpi_type dt)
{
    return dt == TIDE_MPI_I64 || dt == TIDE_MPI_F64 ? 8 : 4;
}

/* MPI status -> TIDE_OK or a message naming the call. */
static int check(int rc, const char *what)
{
    if (rc == MPI_SUCCESS) return TIDE_OK;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return tide_errorf("mpi: %s failed: %.*s", what, len, msg);
}

static int need_init(const char *what)
{
    if (!tide_mpi_initialized()) return tide_errorf("mpi: %s before init (call tide.mpi.init())", what);
    return TIDE_OK;
}

int tide_mpi_initialized(void)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}

int tide_mpi_init(void)
{
    int init = 0, fin = 0;
    MPI_Finalized(&fin);
    if (fin) return tide_errorf("mpi: init after finalize (MPI cannot be restarted in one process)");
    MPI_Initialized(&init);
    if (init) return TIDE_OK;
    /* FUNNELED: OpenBLAS/OpenMP threads may exist, only the main thread calls MPI. */
    int provided = 0;
    if (check(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread")) return TIDE_ERR;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return TIDE_OK;
}

void tide_mpi_finalize(void)
{
    if (tide_mpi_initialized()) MPI_Finalize();
}

int tide_mpi_rank(void)
{
    int r = 0;
    if (tide_mpi_initialized()) MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int tide_mpi_size(void)
{
    int s = 1;
    if (tide_mpi_initialized()) MPI_Comm_size(MPI_COMM_WORLD, &s);
    return s;
}

double tide_mpi_wtime(void) { return MPI_Wtime(); }

int tide_mpi_barrier(void)
{
    if (need_init("barrier")) return TIDE_ERR;
    return check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

int tide_mpi_allreduce(void *buf, int64_t n, tide_mpi_type dt, tide_mpi_op op)
{
    if (need_init("allreduce")) return TIDE_ERR;
    if (n < 0) return tide_errorf("mpi: allreduce of %lld elements", (long long)n);
    MPI_Op mop = op == TIDE_MPI_MAX ? MPI_MAX : op == TIDE_MPI_MIN ? MPI_MIN : MPI_SUM;
    char *p = buf;
    size_t es = tide_mpi_type_size(dt);
    for (int64_t off = 0; off < n; off += CHUNK) {
        int c = (int)(n - off < CHUNK ? n - off : CHUNK);
        if (check(MPI_Allreduce(MPI_IN_PLACE, p + (size_t)off * es, c, mpi_type(dt), mop, MPI_COMM_WORLD),
                  "MPI_Allreduce"))
            return TIDE_ERR;
    }
    return TIDE_OK;
}

int tide_mpi_bcast(void *buf, int64_t n, tide_mpi_type dt, int root)
{
    if (need_init("bcast")) return TIDE_ERR;
    int size = tide_mpi_size();
    if (root < 0 || root >= size) return tide_errorf("mpi: bcast root %d outside 0..%d", root, size - 1);
    char *p = buf;
    size_t es = tide_mpi_type_size(dt);
    for (int64_t off = 0; off < n; off += CHUNK) {
        int c = (int)(n - off < CHUNK ? n - off : CHUNK);
        if (check(MPI_Bcast(p + (size_t)off * es, c, mpi_type(dt), root, MPI_COMM_WORLD), "MPI_Bcast")) return TIDE_ERR;
    }
    return TIDE_OK;
}

int tide_mpi_allgather_count(int64_t n, int64_t *counts)
{
    if (need_init("gather")) return TIDE_ERR;
    return check(MPI_Allgather(&n, 1, MPI_INT64_T, counts, 1, MPI_INT64_T, MPI_COMM_WORLD), "MPI_Allgather");
}

int tide_mpi_allgatherv(const void *send, void *recv, const int64_t *counts, tide_mpi_type dt)
{
    if (need_init("gather")) return TIDE_ERR;
    int size = tide_mpi_size(), rank = tide_mpi_rank();
    int64_t total = 0;
    for (int r = 0; r < size; r++) total += counts[r];
    if (total > INT_MAX) return tide_errorf("mpi: gather of %lld elements exceeds MPI's int counts", (long long)total);
    int *cnt = malloc(2 * (size_t)size * sizeof(int));
    if (!cnt) return tide_errorf("mpi: gather: out of memory");
    int *disp = cnt + size;
    for (int r = 0, d = 0; r < size; r++) {
        cnt[r] = (int)counts[r];
        disp[r] = d;
        d += cnt[r];
    }
    int rc = check(MPI_Allgatherv(send, cnt[rank], mpi_type(dt), recv, cnt, disp, mpi_type(dt), MPI_COMM_WORLD),
                   "MPI_Allgatherv");
    free(cnt);
    return rc;
}
