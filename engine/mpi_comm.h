/* mpi_comm.h — the engine's thin layer over MPI (scale-out): init/finalize, rank and size,
 * in-place all-reduce and broadcast of flat buffers, all-gather of variable-length blocks, a
 * barrier and a wall clock. Built only where `mpicc` exists (Makefile target `mpi`), into its
 * own shared object, so the main engine never links MPI.
 *
 * Buffers are plain (pointer, element count, dtype) triples: the caller owns them, nothing
 * here allocates a tensor. Every function returns TIDE_OK or TIDE_ERR with a message
 * (tide_error()); MPI's own errors are turned into messages (MPI_ERRORS_RETURN), never aborts. */
#ifndef TIDE_MPI_COMM_H
#define TIDE_MPI_COMM_H

#include <stdint.h>

#include "tensor.h"

/* Element types the MPI layer moves: the tensor dtypes plus f64 for host-side sums. */
typedef enum { TIDE_MPI_F32 = 0, TIDE_MPI_I32 = 1, TIDE_MPI_I64 = 2, TIDE_MPI_F64 = 3 } tide_mpi_type;
typedef enum { TIDE_MPI_SUM = 0, TIDE_MPI_MAX = 1, TIDE_MPI_MIN = 2 } tide_mpi_op;

/* Initialises MPI once (a no-op if already initialised); a binary started without mpirun
 * becomes a singleton of size 1. Errors if MPI was already finalised. */
int tide_mpi_init(void);
/* Finalises if initialised and not yet finalised (safe to call any number of times). */
void tide_mpi_finalize(void);
int tide_mpi_initialized(void);
int tide_mpi_rank(void);
int tide_mpi_size(void);
double tide_mpi_wtime(void);
int tide_mpi_barrier(void);

/* buf[0..n) <- op over ranks of every rank's buf[0..n), on every rank (in place). */
int tide_mpi_allreduce(void *buf, int64_t n, tide_mpi_type dt, tide_mpi_op op);
/* buf[0..n) <- root's buf[0..n) on every rank. */
int tide_mpi_bcast(void *buf, int64_t n, tide_mpi_type dt, int root);
/* counts[r] <- n of rank r, for r in 0..size (counts has size entries). */
int tide_mpi_allgather_count(int64_t n, int64_t *counts);
/* recv <- concatenation in rank order of every rank's send[0..counts[rank]); recv holds
 * Σ counts elements; counts as returned by tide_mpi_allgather_count. */
int tide_mpi_allgatherv(const void *send, void *recv, const int64_t *counts, tide_mpi_type dt);

/* Bytes per element of dt. */
size_t tide_mpi_type_size(tide_mpi_type dt);

#endif
