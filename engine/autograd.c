/* autograd.c — the tape: grad mode, leaves, node recording, gradient accumulation and the
 * backward sweep. The per-op backward functions live in autograd_elementwise.c,
 * autograd_reduce.c, autograd_index.c and autograd_views.c.
 *
 * Design (an eager tape in the spirit of micrograd and torch-autograd's DirectTape):
 *  - every differentiable result owns its creator node (out->node); the node retains its
 *    inputs and saved tensors, never `out` itself (tide_ag_save swaps a history-free alias in
 *    when asked to save the output), so reference cycles cannot form and the Lua GC may free
 *    any tensor at any time: whatever the graph still needs is retained by a node.
 *  - nodes carry a creation sequence number. An input always exists before the op that
 *    consumes it, so sorting the reachable nodes by decreasing seq is a topological order
 *    (no recursion, no in-degree bookkeeping).
 *  - during the sweep an intermediate's gradient lives in its own ->grad slot; it is handed
 *    to the node's backward and dropped at once, then the node's inputs, saved tensors and
 *    ctx are released. What remains is a "spent" node (backward == NULL) that records WHEN it
 *    was spent, so a later backward through a graph built before that moment fails with a
 *    clear message instead of silently missing gradients, while tensors computed from it
 *    afterwards are plain constants. Memory therefore does not grow over training steps.
 *  - a leaf's ->grad is always a contiguous f32 tensor of the leaf's shape with storage of
 *    its own, so backward functions and optimizers may update it in place. Repeated
 *    accumulation into an intermediate adds in place once its grad is exclusively owned
 *    (ag_writable_grad), so a tensor sliced T times (a Lua loop over time steps) costs
 *    O(T x slice), not O(T x whole tensor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd_internal.h"

/* Grad mode and the tape clock are per thread: a graph is built and swept by one thread. */
static _Thread_local int grad_on = 1;
static _Thread_local int64_t clock_seq = 0;

int tide_grad_enabled(void) { return grad_on; }

int tide_set_grad_enabled(int on)
{
    int prev = grad_on;
    grad_on = on != 0;
    return prev;
}

static int spent(const tide_node *n) { return n && n->backward == NULL; }

int tide_needs_grad(const tide_tensor *t)
{
    return t && t->dtype == TIDE_F32 && (t->requires_grad || (t->node && !spent(t->node)));
}

/* ---- leaves ---- */

int tide_set_requires_grad(tide_tensor *t, int on)
{
    if (!t) return tide_errorf("requires_grad: no tensor");
    if (on && t->dtype != TIDE_F32)
        return tide_errorf("requires_grad: only f32 tensors can require gradients, got %s",
                           tide_dtype_name(t->dtype));
    if (t->node && !spent(t->node)) {
        if (on) return TIDE_OK; /* already tracked through its creator */
        return tide_errorf("requires_grad: cannot turn off gradients of a non-leaf (%s result); "
                           "use detach()", t->node->name);
    }
    t->requires_grad = on != 0;
    return TIDE_OK;
}

void tide_zero_grad(tide_tensor *t)
{
    if (!t) return;
    tide_tensor_release(t->grad);
    t->grad = NULL;
}

tide_tensor *tide_detach(tide_tensor *t)
{
    if (!t) return tide_errorf("detach: no tensor"), NULL;
    return tide_tensor_header(t, t->ndim, t->shape, t->strides, t->offset);
}

/* ---- recording ---- */

/* The tape's own allocations (a node; the alias of an op's output it saves) go through here.
 * Test binaries that compile this file with TIDE_TEST_FAULTS (tests/c/test_autograd_oom.c)
 * can make the allocation after the next n fail, to check that an op reports the failure
 * instead of aborting or losing history; other builds have no hook. */
#ifdef TIDE_TEST_FAULTS
static _Thread_local long fail_countdown = -1;
void tide_test_fail_alloc_after(long n) { fail_countdown = n; }
static int injected_failure(void) { return fail_countdown >= 0 && fail_countdown-- == 0; }
#else
static int injected_failure(void) { return 0; }
#endif

static tide_node *node_alloc(void) { return injected_failure() ? NULL : calloc(1, sizeof(tide_node)); }

int tide_ag_try_record(tide_tensor *out, const char *name, tide_backward_fn backward,
                       int ninputs, tide_tensor *const *inputs, tide_node **node)
{
    TIDE_ASSERT(ninputs >= 0 && ninputs <= TIDE_NODE_MAX_INPUTS);
    *node = NULL;
    if (!grad_on || !out || out->dtype != TIDE_F32 || out->node) return TIDE_OK;
    int any = 0;
    for (int i = 0; i < ninputs; i++) {
        if (inputs[i] == out) return TIDE_OK; /* an op that returned its input: no new history */
        any |= tide_needs_grad(inputs[i]);
    }
    if (!any) return TIDE_OK;
    tide_node *n = node_alloc();
    /* nothing is touched before this point, so a failure leaves the tape as it was */
    if (!n) return tide_errorf("%s: out of memory recording its autograd node", name);
    n->name = name;
    n->backward = backward;
    n->ninputs = ninputs;
    for (int i = 0; i < ninputs; i++) {
        n->inputs[i] = tide_tensor_retain(inputs[i]);
        n->input_version[i] = inputs[i] ? inputs[i]->storage->version : 0;
    }
    n->seq = ++clock_seq;
    out->node = n;
    out->requires_grad = 0;
    ag_anomaly_forward(n, out);
    *node = n;
    return TIDE_OK;
}

tide_node *tide_ag_record(tide_tensor *out, const char *name, tide_backward_fn backward,
                          int ninputs, tide_tensor *const *inputs)
{
    tide_node *n;
    if (tide_ag_try_record(out, name, backward, ninputs, inputs, &n) != TIDE_OK) {
        /* the caller cannot report it, and returning NULL would silently drop the history */
        fprintf(stderr, "tide: %s\n", tide_error());
        abort();
    }
    return n;
}

void tide_ag_value_free(tide_node *n, unsigned mask)
{
    if (!n) return;
    for (int i = 0; i < n->ninputs; i++) {
        unsigned bit = 1u << i;
        if (!(mask & bit) || (n->value_free & bit)) continue;
        n->value_free |= bit;
        tide_tensor_add_shape_ref(n->inputs[i]);
    }
}

void tide_ag_save(tide_node *n, tide_tensor *t)
{
    if (!n) return;
    TIDE_ASSERT(n->nsaved < TIDE_NODE_MAX_SAVED);
    if (!t) {
        n->saved[n->nsaved++] = NULL;
        return;
    }
    /* saving the node's own output would make out -> node -> out: keep an alias instead */
    n->saved_version[n->nsaved] = t->storage->version;
    if (t->node != n) {
        n->saved[n->nsaved++] = tide_tensor_retain(t);
        return;
    }
    tide_tensor *alias = injected_failure() ? NULL : tide_detach(t);
    n->saved[n->nsaved++] = alias;
    if (!alias) ag_save_failed(n);
}

/* Backward of a node that could not keep what its backward needs. tide_backward refuses the
 * sweep before any gradient is touched (check_versions), so this never actually runs. */
static int bw_lost(tide_node *n, const tide_tensor *g)
{
    (void)g;
    return tide_errorf("backward: '%s' cannot run: out of memory saving a tensor it needs when it was "
                       "recorded; build the graph again", n->name);
}

void ag_save_failed(tide_node *n)
{
    if (n) n->backward = bw_lost;
}

/* Releases what a node holds and marks it spent at the current tape time. */
static void spend(tide_node *n)
{
    for (int i = 0; i < n->ninputs; i++) {
        if (n->value_free >> i & 1u) tide_tensor_release_shape_ref(n->inputs[i]);
        else tide_tensor_release(n->inputs[i]);
    }
    for (int i = 0; i < n->nsaved; i++) tide_tensor_release(n->saved[i]);
    free(n->ctx);
    n->ctx = NULL;
    n->ninputs = n->nsaved = 0;
    n->value_free = 0;
    n->backward = NULL;
    n->seq = ++clock_seq;
}

/* ---- accumulation ---- */

int tide_ag_accumulate(tide_tensor *t, const tide_tensor *g)
{
    char s1[96], s2[96];
    if (!t || !g || !tide_needs_grad(t)) return TIDE_OK;
    tide_tensor *r;
    if (tide_same_shape(t, g)) r = tide_tensor_retain((tide_tensor *)g);
    else if (!(r = tide_sum_to(g, t->ndim, t->shape))) {
        return tide_errorf("backward of %s: gradient %s does not fit tensor %s",
                           t->node ? t->node->name : "leaf", tide_shape_str(g, s1, 96),
                           tide_shape_str(t, s2, 96));
    }
    if (r->dtype != TIDE_F32) {
        tide_tensor *c = tide_tensor_cast(r, TIDE_F32);
        tide_tensor_release(r);
        if (!(r = c)) return TIDE_ERR;
    }
    int leaf = t->node == NULL;
    if (!t->grad) {
        /* a leaf's grad must own its storage (optimizers update it in place) */
        if (leaf && (r == g || !tide_tensor_is_contiguous(r) || r->storage->refcount > 1)) {
            tide_tensor *c = tide_tensor_is_contiguous(r) ? tide_tensor_clone(r) : ag_contig(r);
            tide_tensor_release(r);
            if (!(r = c)) return TIDE_ERR;
        }
        t->grad = r;
        return TIDE_OK;
    }
    /* add in place; r may be any strided view (an expanded sum gradient is never copied) */
    tide_tensor *w = ag_writable_grad(t);
    int rc = w ? tide_binary_out(w, TIDE_ADD, w, r) : TIDE_ERR;
    tide_tensor_release(r);
    return rc;
}

/* Nobody but t can observe its grad: a leaf's grad by contract, an intermediate's when the
 * header and storage have no other reference (backward functions may hand the same tensor
 * to several inputs, in which case it is shared and must not be written). */
static int grad_exclusive(const tide_tensor *t)
{
    const tide_tensor *g = t->grad;
    if (t->node == NULL) return 1;
    return g->refcount == 1 && g->storage->refcount == 1 && g->dtype == TIDE_F32 &&
           tide_tensor_is_contiguous(g) && tide_same_shape(g, t);
}

tide_tensor *ag_writable_grad(tide_tensor *t)
{
    if (!t->grad) {
        t->grad = tide_tensor_new(TIDE_F32, t->ndim, t->shape);
        return t->grad;
    }
    if (grad_exclusive(t)) return t->grad;
    /* a private copy (strided views go through the broadcasting kernels, see ag_contig) */
    tide_tensor *c = tide_tensor_is_contiguous(t->grad) ? tide_tensor_clone(t->grad) : ag_contig(t->grad);
    if (!c) return NULL;
    tide_tensor_release(t->grad);
    t->grad = c;
    return c;
}

/* ---- the sweep ---- */

/* A pointer set (open addressing) for the reachable-node walk. */
typedef struct {
    tide_tensor **slot;
    size_t cap, n;
} ptrset;

static size_t hash_ptr(const void *p) { return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull); }

static int ptrset_add(ptrset *s, tide_tensor *p) /* 1 added, 0 present, -1 OOM */
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        tide_tensor **ns = calloc(ncap, sizeof *ns);
        if (!ns) return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i]) continue;
            size_t h = hash_ptr(s->slot[i]) & (ncap - 1);
            while (ns[h]) h = (h + 1) & (ncap - 1);
            ns[h] = s->slot[i];
        }
        free(s->slot);
        s->slot = ns, s->cap = ncap;
    }
    size_t h = hash_ptr(p) & (s->cap - 1);
    while (s->slot[h]) {
        if (s->slot[h] == p) return 0;
        h = (h + 1) & (s->cap - 1);
    }
    s->slot[h] = p;
    s->n++;
    return 1;
}

static int by_seq_desc(const void *a, const void *b)
{
    int64_t x = (*(tide_tensor *const *)a)->node->seq, y = (*(tide_tensor *const *)b)->node->seq;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Collects (retained) every tensor with a live node reachable from root into *list. */
static int collect(tide_tensor *root, tide_tensor ***list, size_t *count)
{
    ptrset seen = {0};
    size_t cap = 64, n = 0, sp = 0, scap = 64;
    tide_tensor **out = malloc(cap * sizeof *out), **stack = malloc(scap * sizeof *stack);
    int rc = TIDE_OK;
    if (!out || !stack) goto oom;
    stack[sp++] = root;
    while (sp > 0) {
        tide_tensor *x = stack[--sp];
        int added = ptrset_add(&seen, x);
        if (added < 0) goto oom;
        if (!added) continue;
        if (n == cap) {
            tide_tensor **o2 = realloc(out, (cap *= 2) * sizeof *out);
            if (!o2) goto oom;
            out = o2;
        }
        out[n++] = tide_tensor_retain(x);
        tide_node *nd = x->node;
        for (int i = 0; i < nd->ninputs; i++) {
            tide_tensor *in = nd->inputs[i];
            if (!in || !in->node) continue;
            if (spent(in->node)) {
                if (in->node->seq > nd->seq) {
                    rc = tide_errorf("backward: the graph through '%s' (an input of '%s') was "
                                     "already freed by an earlier backward(); build the graph "
                                     "again or call backward once on the sum of the losses",
                                     in->node->name, nd->name);
                    goto done;
                }
                continue; /* spent before nd was recorded: a constant for nd */
            }
            if (sp == scap) {
                tide_tensor **s2 = realloc(stack, (scap *= 2) * sizeof *stack);
                if (!s2) goto oom;
                stack = s2;
            }
            stack[sp++] = in;
        }
    }
    goto done;
oom:
    rc = tide_errorf("backward: out of memory walking the graph");
done:
    free(seen.slot);
    free(stack);
    if (rc != TIDE_OK) {
        for (size_t i = 0; i < n; i++) tide_tensor_release(out[i]);
        free(out);
        return rc;
    }
    *list = out;
    *count = n;
    return TIDE_OK;
}

/* ---- in-place safety ---- */

static int version_error(const tide_node *n, const char *what, int i, const tide_tensor *t,
                         uint64_t expected)
{
    char s1[96];
    return tide_errorf("backward: one of the tensors needed for gradient computation has been "
                       "modified by an in-place operation: %s %s, %s %d of %s, is at version "
                       "%llu; expected version %llu (copy, fill, set, a random fill, index_add_, "
                       "an *_out op or an optimizer step wrote into it, or into a view of it, "
                       "after the forward pass: clone() it first or recompute the forward)",
                       tide_dtype_name(t->dtype), tide_shape_str(t, s1, sizeof s1), what, i + 1,
                       n->name, (unsigned long long)t->storage->version,
                       (unsigned long long)expected);
}

/* TIDE_OK when every input (except the value-free ones) and every saved tensor of n still
 * has the storage version it had when the node captured it. */
static int check_versions(const tide_node *n)
{
    /* not a version problem, but also a node whose backward cannot run: refused up front */
    if (n->backward == bw_lost) return bw_lost((tide_node *)n, NULL);
    for (int i = 0; i < n->ninputs; i++) {
        const tide_tensor *t = n->inputs[i];
        if (!t || (n->value_free >> i & 1u)) continue;
        if (t->storage->version != n->input_version[i])
            return version_error(n, "input", i, t, n->input_version[i]);
    }
    for (int i = 0; i < n->nsaved; i++) {
        const tide_tensor *t = n->saved[i];
        if (t && t->storage->version != n->saved_version[i])
            return version_error(n, "saved tensor", i, t, n->saved_version[i]);
    }
    return TIDE_OK;
}

int tide_backward(tide_tensor *root, const tide_tensor *grad_out)
{
    char s1[96], s2[96];
    if (!root) return tide_errorf("backward: no tensor");
    if (root->node && spent(root->node))
        return tide_errorf("backward: the graph of this tensor was already freed by an earlier "
                           "backward()");
    if (!tide_needs_grad(root))
        return tide_errorf("backward: tensor does not require grad (no input called "
                           "requires_grad(), or it was computed under no_grad)");
    tide_tensor *seed;
    if (!grad_out) {
        if (tide_tensor_numel(root) != 1)
            return tide_errorf("backward: a gradient must be given for a non-scalar tensor %s",
                               tide_shape_str(root, s1, 96));
        if (!(seed = tide_tensor_full(TIDE_F32, root->ndim, root->shape, 1.0))) return TIDE_ERR;
    } else {
        if (!tide_same_shape(root, grad_out))
            return tide_errorf("backward: gradient %s does not match tensor %s",
                               tide_shape_str(grad_out, s1, 96), tide_shape_str(root, s2, 96));
        if (!(seed = tide_tensor_cast(grad_out, TIDE_F32))) return TIDE_ERR; /* a copy */
    }
    if (!root->node) { /* a leaf */
        return ag_give(root, seed);
    }
    /* the sweep must be able to run with grad mode on without recording new nodes */
    int prev = tide_set_grad_enabled(0);
    tide_tensor **list = NULL;
    size_t n = 0;
    int rc = collect(root, &list, &n);
    if (rc != TIDE_OK) {
        tide_tensor_release(seed);
        tide_set_grad_enabled(prev);
        return rc;
    }
    /* every check before the first backward runs: a stale tensor fails the whole sweep with
     * no gradient touched and the graph intact (PyTorch checks node by node instead) */
    for (size_t j = 0; j < n && rc == TIDE_OK; j++) rc = check_versions(list[j]->node);
    if (rc != TIDE_OK) {
        for (size_t j = 0; j < n; j++) tide_tensor_release(list[j]);
        free(list);
        tide_tensor_release(seed);
        tide_set_grad_enabled(prev);
        return rc;
    }
    qsort(list, n, sizeof *list, by_seq_desc);
    TIDE_ASSERT(list[0] == root);
    tide_zero_grad(root); /* a stale intermediate grad must not leak into this sweep */
    root->grad = seed;
    /* the list needs each tensor's grad slot, not its values: a tensor whose values only the
     * sweep's nodes still read gives its buffer back as soon as the last of them is spent */
    for (size_t j = 0; j < n; j++) tide_tensor_add_shape_ref(list[j]);
    size_t i = 0;
    for (; i < n && rc == TIDE_OK; i++) {
        tide_tensor *x = list[i];
        tide_tensor *g = x->grad;
        x->grad = NULL;
        if (g) {
            tide_tensor *gc = ag_contig(g);
            tide_tensor_release(g);
            if (!gc) rc = TIDE_ERR;
            else {
                rc = x->node->backward(x->node, gc);
                if (rc == TIDE_OK) rc = ag_anomaly_backward(x->node, gc);
                else {
                    char pre[64];
                    snprintf(pre, sizeof pre, "backward of %s", x->node->name);
                    tide_error_prefix(pre);
                }
                tide_tensor_release(gc);
            }
        }
        spend(x->node);
        tide_tensor_release_shape_ref(x);
    }
    /* after an error, later nodes keep their history but lose partial gradients */
    for (size_t j = i; j < n; j++) tide_zero_grad(list[j]);
    for (size_t j = i; j < n; j++) tide_tensor_release_shape_ref(list[j]);
    free(list);
    tide_set_grad_enabled(prev);
    return rc;
}
