// HDF5 C API (Debian: libhdf5-dev), used only to import Keras .h5 weight files.
#include <hdf5.h>
