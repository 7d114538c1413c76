// HDF5 C API (Debian: libhdf5-dev), used only to import Keras .h5 weight files.
#include <hdf5.h>

// H5T_NATIVE_FLOAT is a macro over a mutable global, which Swift 6 refuses to read directly.
static inline hid_t nst_hdf5_native_float(void) { return H5T_NATIVE_FLOAT; }

// H5P_FILE_ACCESS likewise: a file-access property list, to open a file image held in memory.
static inline hid_t nst_hdf5_file_access_class(void) { return H5P_FILE_ACCESS; }
