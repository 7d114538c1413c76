// The two JPEG files, copied byte for byte into read-only data by the assembler's .incbin
// (found through the target's header search path: these are symlinks to Examples/images/).
// Each image is framed by a start and an end label; example_images.c turns them into
// pointer and length.
#if defined(__APPLE__)
#define SYM(x) _##x
        .section __TEXT,__const
#else
#define SYM(x) x
        .section .rodata
#endif

        .globl SYM(nst_embedded_sea_turtle_start)
        .globl SYM(nst_embedded_sea_turtle_end)
        .balign 16
SYM(nst_embedded_sea_turtle_start):
        .incbin "sea-turtle.jpg"
SYM(nst_embedded_sea_turtle_end):

        .globl SYM(nst_embedded_great_wave_start)
        .globl SYM(nst_embedded_great_wave_end)
        .balign 16
SYM(nst_embedded_great_wave_start):
        .incbin "great-wave.jpg"
SYM(nst_embedded_great_wave_end):

#if defined(__ELF__)
        .section .note.GNU-stack,"",%progbits
#endif
