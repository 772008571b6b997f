/* lt_ops.c — tensor methods for the ops of ops.h (placeholder until the ops land). */
#include "lt.h"

const luaL_Reg lt_tensor_methods_ops[] = {{NULL, NULL}};
const luaL_Reg lt_tensor_meta_ops[] = {{NULL, NULL}};
