/* lt_autograd.c — tensor methods for autograd (placeholder until autograd lands). */
#include "lt.h"

const luaL_Reg lt_tensor_methods_autograd[] = {{NULL, NULL}};
