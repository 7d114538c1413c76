// libpng's simplified API (png_image_*): errors come back in png_image.message,
// so no setjmp/longjmp ever crosses into Swift.
#include <png.h>
