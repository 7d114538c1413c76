import Foundation
import NSTFileIO
import NSTImage
import NSTStyle
import NSTTensor
import NSTVGG

/// Gatys et al.'s Fig. 3 for one content/style pair: row k matches the style at the first k
/// style layers (relu1_1 … relu5_1), each column uses another α/β; everything else is the
/// same for every cell. Reading down a column, the style's structures grow with the depth of
/// the deepest layer matched; reading across a row, the balance tips from the photo to the
/// painting.
public struct StyleGrid {
    /// The cells' network and images (at their run sizes).
    public let network: StyleNetwork<VGG<Float>>
    public let content: RGBImage
    public let style: RGBImage
    /// Everything but the layers and β; every cell uses exactly these.
    public let options: StyleTransferOptions
    public let layers: StyleDepthExperiment.Layers
    /// β of each column (α is `options.contentWeight`).
    public let styleWeights: [Double]

    public init(network: StyleNetwork<VGG<Float>>, content: RGBImage, style: RGBImage, options: StyleTransferOptions,
                layers: StyleDepthExperiment.Layers, styleWeights: [Double]) {
        precondition(!styleWeights.isEmpty)
        self.network = network; self.content = content; self.style = style
        self.options = options; self.layers = layers; self.styleWeights = styleWeights
    }

    /// One cell: the first `depth` style layers at style weight β.
    public struct Cell: Codable, Sendable {
        public var depth: Int
        public var styleWeight: Double
        public var alphaOverBeta: Double
        /// E_l of the cell's image at all five layers.
        public var styleLoss: [String: Double]
        public var contentLoss: Double
        public var evaluations: Int
    }

    /// The options of one cell.
    public func options(depth: Int, styleWeight: Double) -> StyleTransferOptions {
        var o = options
        o.contentLayers = [layers.content]
        o.styleLayers = Array(layers.style.prefix(depth))
        o.styleLayerWeights = nil
        o.styleWeight = styleWeight
        return o
    }

    /// Every cell, row by row; nil when `shouldStop` asked to stop.
    public func run(observe: (_ depth: Int, _ styleWeight: Double, StyleTransferOptions) -> RunObserver,
                    shouldStop: @escaping () -> Bool = { false }) throws -> [(cell: Cell, image: RGBImage)]? {
        var out: [(cell: Cell, image: RGBImage)] = []
        let features = network.features(content: content, styles: [style], contentLayers: [layers.content], styleLayers: layers.style)
        let scorer = StyleScorer(network: network, features: features, contentLayer: layers.content, styleLayers: layers.style)
        for depth in 1...layers.style.count {
            for beta in styleWeights {
                let o = options(depth: depth, styleWeight: beta)
                let result = try observe(depth, beta, o).run(network: network, content: content, styles: [style], options: o,
                                                             features: features, shouldStop: shouldStop)
                if result.stopReason == .interrupted { return nil }
                let image = try result.image.asWrittenToPNG()
                let terms = try scorer.losses(of: image)
                out.append((Cell(depth: depth, styleWeight: beta, alphaOverBeta: o.contentWeight / beta, styleLoss: terms.style,
                                 contentLoss: terms.content[layers.content] ?? .nan, evaluations: result.evaluations), image))
            }
        }
        return out
    }

    /// The figure: one row per depth, one column per α/β, labelled, with the credits.
    public static func figure(_ cells: [(cell: Cell, image: RGBImage)], columns: Int) -> RGBImage {
        guard let first = cells.first?.image, columns > 0 else { return RGBImage(width: 1, height: 1, color: .white) }
        let w = first.width, h = first.height, gap = 16, scale = 2, margin = 16
        let rowLabels = cells.map(\.cell.depth).uniqued().map { $0 == 1 ? "relu1_1" : "relu1_1\nto relu\($0)_1" }
        let columnLabels = cells.prefix(columns).map {
            String(format: "α/β = %.0e", $0.cell.alphaOverBeta).replacingOccurrences(of: "e-0", with: "e-")
        }
        let title = "Style layers (rows) and α/β (columns)"
        let credits = "Sea turtle: P. Lindgren, CC BY-SA 3.0 (restyled images keep it). The Great Wave: Hokusai, public domain."
        let labelWidth = rowLabels.map { BitmapFont.size(of: $0, scale: scale).width }.max() ?? 0
        let cellWidth = max(w, columnLabels.map { BitmapFont.size(of: $0, scale: scale).width }.max() ?? 0)
        let titleSize = BitmapFont.size(of: title, scale: scale), creditsSize = BitmapFont.size(of: credits)
        let headerHeight = BitmapFont.size(of: "α", scale: scale).height
        let gridWidth = labelWidth + gap + columns * (cellWidth + gap) - gap
        let width = 2 * margin + max(gridWidth, titleSize.width, creditsSize.width)
        let left = margin + (width - 2 * margin - gridWidth) / 2 + labelWidth + gap
        let top = margin + titleSize.height + gap + headerHeight + gap
        let rows = rowLabels.count
        let height = top + rows * (h + gap) + creditsSize.height + margin
        var canvas = Canvas(width: width, height: height)
        canvas.drawCentredLines(title, centreX: width / 2, y: margin, scale: scale)
        for (c, label) in columnLabels.enumerated() {
            canvas.drawCentredLines(label, centreX: left + c * (cellWidth + gap) + cellWidth / 2, y: margin + titleSize.height + gap, scale: scale)
        }
        for (r, label) in rowLabels.enumerated() {
            let y = top + r * (h + gap)
            canvas.drawText(label, x: left - gap - labelWidth, y: y + (h - BitmapFont.size(of: label, scale: scale).height) / 2, scale: scale)
            for c in 0..<columns where r * columns + c < cells.count {
                canvas.draw(cells[r * columns + c].image, x: left + c * (cellWidth + gap) + (cellWidth - w) / 2, y: y)
            }
        }
        canvas.drawCentredLines(credits, centreX: width / 2, y: top + rows * (h + gap), color: RGBColor(0.3, 0.3, 0.3))
        return canvas.image
    }
}

extension StyleGrid {
    public static let outputNames: Set<String> = ["grid.png", "grid.json"]

    /// grid.json: the settings and every cell's scores.
    struct Record: Codable {
        var command: String
        var options: StyleTransferOptions
        var contentLayer: String
        var cells: [Cell]
    }

    /// The folder's new contents: grid.png (`figure`) and grid.json.
    public func files(cells: [(cell: Cell, image: RGBImage)], command: [String]) throws -> [(name: String, bytes: [UInt8])] {
        let png = try ImageIO.encodePNG(Self.figure(cells, columns: styleWeights.count), path: "grid.png")
        let record = Record(command: command.map(shellQuoted).joined(separator: " "), options: options,
                            contentLayer: layers.content, cells: cells.map(\.cell))
        return [("grid.png", png), ("grid.json", Array(try JSONOutput.fileBytes(record)))]
    }
}

private extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
