#include "example_images.h"

extern const unsigned char nst_embedded_sea_turtle_start[], nst_embedded_sea_turtle_end[];
extern const unsigned char nst_embedded_great_wave_start[], nst_embedded_great_wave_end[];

const unsigned char *nst_example_sea_turtle_jpg(size_t *count) {
    *count = (size_t)(nst_embedded_sea_turtle_end - nst_embedded_sea_turtle_start);
    return nst_embedded_sea_turtle_start;
}

const unsigned char *nst_example_great_wave_jpg(size_t *count) {
    *count = (size_t)(nst_embedded_great_wave_end - nst_embedded_great_wave_start);
    return nst_embedded_great_wave_start;
}
