#ifndef RECEIVABLES_CLMDB_SHIM_H
#define RECEIVABLES_CLMDB_SHIM_H
#include <lmdb.h>
#endif
