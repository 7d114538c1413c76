// glibc's heap tuning (mallopt, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD), which the Glibc module
// does not export; used by NSTTensor.HeapPolicy. Part of libc: nothing to link.
#if defined(__linux__)
#include <malloc.h>
#endif
