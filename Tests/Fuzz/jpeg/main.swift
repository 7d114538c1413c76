// Fuzz target for the JPEG reader (libjpeg-turbo through ImageIO.decode, EXIF orientation,
// CMYK). Every input is given a JPEG start-of-image marker so the fuzzer stays in the reader.
import FuzzDriver
import ImageChecks

let soi: [UInt8] = [0xFF, 0xD8, 0xFF]
fuzzMain { bytes in
    checkImage(bytes.starts(with: soi) ? bytes : soi + bytes)
}
