#ifndef RECEIVABLES_CCURLSHIM_H
#define RECEIVABLES_CCURLSHIM_H
/* Typed wrappers over libcurl's C-variadic curl_easy_setopt and curl_easy_getinfo, which Swift
   cannot call. Each returns libcurl's CURLcode unchanged. */
#include <curl/curl.h>

CURLcode receivables_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode receivables_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode receivables_curl_set_pointer(CURL *handle, CURLoption option, void *value);
CURLcode receivables_curl_set_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode receivables_curl_set_read_callback(CURL *handle, curl_read_callback callback);
CURLcode receivables_curl_set_debug_callback(CURL *handle, curl_debug_callback callback);
CURLcode receivables_curl_get_long_info(CURL *handle, CURLINFO info, long *value);

#endif
