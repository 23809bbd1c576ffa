#ifndef RECEIVABLES_CCRYPTO_SHIM_H
#define RECEIVABLES_CCRYPTO_SHIM_H
#include <openssl/sha.h>
#include <openssl/evp.h>
#endif
