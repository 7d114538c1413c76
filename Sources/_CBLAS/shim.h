// OpenBLAS's CBLAS interface (Debian: libopenblas-dev), including openblas_set_num_threads
// and openblas_get_corename. (Debian's 0.3.21 is built without bfloat16, so cblas_sbgemm,
// declared in this header, is not in the library.)
#include <cblas.h>
