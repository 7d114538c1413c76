// libjpeg-turbo's TurboJPEG API (Debian: libturbojpeg0-dev): every call returns a status
// and tjGetErrorStr2 explains it; no setjmp/longjmp reaches Swift.
#include <turbojpeg.h>
