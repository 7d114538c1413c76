#ifndef NST_EXAMPLE_IMAGES_H
#define NST_EXAMPLE_IMAGES_H

#include <stddef.h>

/// The experiment's two example images (Examples/images/), built into the binary so that an
/// installed nst finds them from any folder. The bytes are the JPEG files exactly as
/// committed; `count` receives their length.
const unsigned char *nst_example_sea_turtle_jpg(size_t *count);
const unsigned char *nst_example_great_wave_jpg(size_t *count);

#endif
