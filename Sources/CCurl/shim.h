#ifndef RECEIVABLES_CCURL_SHIM_H
#define RECEIVABLES_CCURL_SHIM_H
#include <curl/curl.h>
#endif
