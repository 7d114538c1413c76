// Fuzz target for the PNG reader (libpng through ImageIO.decode). Every input is given the
// PNG signature, so the fuzzer spends its time inside the PNG reader, not in format sniffing.
// Properties: see ImageChecks/ImageChecks.swift.
import FuzzDriver
import ImageChecks

let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
fuzzMain { bytes in
    checkImage(bytes.starts(with: signature) ? bytes : signature + bytes)
}
