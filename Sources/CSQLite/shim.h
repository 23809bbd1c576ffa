#ifndef RECEIVABLES_CSQLITE_SHIM_H
#define RECEIVABLES_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
