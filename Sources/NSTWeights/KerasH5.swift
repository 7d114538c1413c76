import _CHDF5
import Foundation

/// Float datasets of an HDF5 file, read through libhdf5, for importing Keras weights.
///
/// Keras stores VGG weights in HDF5 in several layouts, all with the layer name in the path:
///
///     keras.applications notop (Keras 1/2):  /block1_conv1/block1_conv1_W_1:0  (or …/kernel:0, …/bias:0)
///     model.save_weights (Keras 2):          /model_weights/block1_conv1/block1_conv1/kernel:0
///     .weights.h5 (Keras 3):                 /layers/block1_conv1/vars/0 (kernel), …/vars/1 (bias)
///
/// so `ModelImport.fromKerasH5` reads every float dataset and lets the layer name and the
/// rank (4 = kernel, 1 = bias) decide. Kernels are HWIO [kh, kw, in, out].
public enum HDF5File {
    /// HDF5 files start with this 8-byte signature (at offset 0, or 512, 1024, … after a user block).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Largest dataset read (elements): far above VGG19's biggest layer (2.4 M), far below
    /// what would exhaust memory on a bad header.
    public static let maxElements = 1 << 28

    /// Every floating-point dataset, by its full path without the leading "/". Datasets of
    /// other types (strings, integers) are skipped.
    public static func readFloatDatasets(_ url: URL) throws -> [String: NamedTensor] {
        try readFloatDatasets(bytes: readFileBytes(url), file: url.path)
    }

    /// The same, from the bytes of an HDF5 file held in memory (libhdf5's core driver opens
    /// a copy of them as a file image; nothing is written to disk). `file` names it in errors.
    public static func readFloatDatasets(bytes: Data, file path: String) throws -> [String: NamedTensor] {
        func fail(_ p: String) -> WeightFileError { WeightFileError(file: path, p) }
        // Check the signature ourselves first: libhdf5 is not meant for hostile input.
        var found = false
        var offset = 0
        while offset + 8 <= bytes.count, offset <= 1 << 20 {
            if bytes.subdata(in: offset ..< offset + 8).elementsEqual(signature) { found = true; break }
            offset = offset == 0 ? 512 : offset * 2
        }
        guard found else { throw fail("not an HDF5 file (no HDF5 signature); Keras weights are .h5 files") }

        hdf5Lock.lock()
        defer { hdf5Lock.unlock() }
        do {
            // No cleanup at exit: after a corrupt file libhdf5 1.10 can fail to close its last
            // objects and print "infinite loop closing library" when the process ends.
            // (H5dont_atexit must come before any other call; later calls just fail harmlessly.)
            _ = H5dont_atexit()
            _ = H5open()
            H5Eset_auto2(0, nil, nil)                       // no error stacks on stderr
            let access = H5Pcreate(nst_hdf5_file_access_class())
            guard access >= 0 else { throw fail("HDF5 library cannot start reading it") }
            defer { H5Pclose(access) }
            // The core driver without a backing store: the image is read from memory only.
            guard H5Pset_fapl_core(access, 1 << 20, false) >= 0,
                  bytes.withUnsafeBytes({ H5Pset_file_image(access, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }) >= 0 else {
                throw fail("HDF5 library cannot hold it in memory")
            }
            let file = H5Fopen("nst-memory-image.h5", 0 /* H5F_ACC_RDONLY */, access)
            guard file >= 0 else { throw fail("HDF5 library cannot open it (truncated or corrupt)") }
            defer { H5Fclose(file) }

            final class Names { var list: [String] = [] }
            let names = Names()
            let visit = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, { _, name, _, context in
                guard let name, let context else { return -1 }
                let box = Unmanaged<Names>.fromOpaque(context).takeUnretainedValue()
                box.list.append(String(cString: name))
                return box.list.count > 1_000_000 ? 1 : 0     // stop on absurd files
            }, Unmanaged.passUnretained(names).toOpaque())
            guard visit >= 0 else { throw fail("HDF5 library cannot list its contents (corrupt)") }

            var result: [String: NamedTensor] = [:]
            for name in names.list {
                let dataset = H5Dopen2(file, name, 0)
                guard dataset >= 0 else { continue }        // a group, not a dataset
                defer { H5Dclose(dataset) }
                let type = H5Dget_type(dataset)
                guard type >= 0 else { continue }
                let isFloat = H5Tget_class(type) == H5T_FLOAT
                H5Tclose(type)
                guard isFloat else { continue }
                let space = H5Dget_space(dataset)
                guard space >= 0 else { throw fail("dataset \"\(name)\" has no readable shape") }
                defer { H5Sclose(space) }
                let rank = Int(H5Sget_simple_extent_ndims(space))
                guard rank >= 0, rank <= 32 else { throw fail("dataset \"\(name)\" has an invalid rank") }
                var dims = [hsize_t](repeating: 0, count: max(rank, 1))
                guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { throw fail("dataset \"\(name)\" has no readable shape") }
                let shape = dims.prefix(rank).map { Int(clamping: $0) }
                var count = 1
                for d in shape {
                    let (p, overflow) = count.multipliedReportingOverflow(by: d)
                    guard !overflow, p <= maxElements else { throw fail("dataset \"\(name)\" of shape \(shape) is too large (limit \(maxElements) elements)") }
                    count = p
                }
                var values = [Float](repeating: 0, count: count)
                if count > 0 {
                    let status = values.withUnsafeMutableBytes { H5Dread(dataset, nst_hdf5_native_float(), 0, 0, 0, $0.baseAddress) }
                    guard status >= 0 else { throw fail("dataset \"\(name)\" cannot be read (truncated or corrupt)") }
                }
                result[name] = NamedTensor(dtype: "F32", shape: shape, values: values)
            }
            return result
        }
    }
}

/// libhdf5 (the serial build) is not thread-safe: one call at a time.
private let hdf5Lock = NSLock()

extension ModelImport {
    /// A Keras HDF5 file with VGG conv layers named blockX_convY (keras.applications VGG16/VGG19,
    /// with or without top; Keras 2 `save_weights`; Keras 3 `.weights.h5`). Kernels are
    /// transposed from HWIO to OIHW. keras.applications VGG expects Caffe preprocessing (BGR
    /// 0–255 minus the ImageNet mean), which is written into the metadata.
    public static func fromKerasH5(_ url: URL, architecture: VGGLayout? = nil) throws -> Result {
        try fromKerasDatasets(HDF5File.readFloatDatasets(url), architecture: architecture, file: url.path,
                              source: "\(url.lastPathComponent) (Keras HDF5)")
    }

    /// The VGG convolutions among Keras's `datasets` (HWIO, optimizer state skipped), checked,
    /// with Caffe preprocessing and `source` in the metadata.
    private static func fromKerasDatasets(_ datasets: [String: NamedTensor], architecture: VGGLayout?, file: String, source: String) throws -> Result {
        let tensors = try vggTensors(from: datasets.filter { kerasConvName($0.key) != nil && !$0.key.hasPrefix("optimizer_weights") }, layout: .hwio, architecture: architecture, file: file)
        let check = try VGGLayout.check(tensors, architecture: architecture, file: file)
        let metadata = ModelMetadata.caffe(architecture: check.architecture, source: source, license: vggLicense)
        return Result(file: SafeTensorsFile(metadata: metadata.dictionary, tensors: tensors), check: check)
    }

    /// A Keras 3 `.keras` archive: a zip holding `config.json`, `metadata.json` and
    /// `model.weights.h5`. The weights member is inflated in memory (its HDF5 signature is
    /// checked on the first bytes, before the rest is inflated) and imported as
    /// `fromKerasH5` does; nothing is written to a temporary file.
    public static func fromKerasArchive(_ url: URL, architecture: VGGLayout? = nil) throws -> Result {
        let weights = try ZipArchive(url).extract("model.weights.h5", expectingPrefix: HDF5File.signature)
        let member = "\(url.path)!model.weights.h5"    // errors name the archive the user gave
        let datasets = try HDF5File.readFloatDatasets(bytes: weights, file: member)
        return try fromKerasDatasets(datasets, architecture: architecture, file: member, source: "\(url.lastPathComponent) (Keras archive)")
    }
}
