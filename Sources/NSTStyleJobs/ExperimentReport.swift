import Foundation
import NSTImage
import NSTStyle
import NSTVersion

/// metrics.json of `nst experiment style-depth`: the style loss E_l of the unstyled photo and
/// of each run's image ("3", "5") against the style image at all five style layers, and the
/// content loss, every figure computed with the runs' own network. Layers are named as the
/// network names them (relu1_1 … relu5_1 by default; see `StyleDepthExperiment`).
public struct StyleDepthMetrics: Codable, Sendable {
    /// One accepted iterate of a run (rejected line-search trials are not recorded).
    public struct Point: Codable, Sendable {
        /// 1-based evaluation number (counting every evaluation, trials included).
        public var evaluation: Int
        /// The weighted objective α·content + β·Σ E_l.
        public var total: Double
        /// E_l at the layers this run optimises.
        public var styleLoss: [String: Double]
    }
    public struct Run: Codable, Sendable {
        /// E_l = Σ(G−A)²/(4N²M²) per layer, unweighted, of the image as written (8 bits).
        public var styleLoss: [String: Double]
        /// ½Σ(F−P)² at the content layer.
        public var contentLoss: Double
        public var styleLayersUsed: [String]
        public var evaluations: Int
        public var seconds: Double
        /// The accepted iterates, in order.
        public var curve: [Point]
    }
    /// The unstyled photograph, scored like the runs' images: where both runs started from.
    public struct Baseline: Codable, Sendable {
        public var styleLoss: [String: Double]
    }
    public var runs: [String: Run]
    public var contentImage: Baseline
    public var contentLayer: String
    public var evaluationLayers: [String]
    public var normalizeVGG: Bool
    public var size: Int
    public var width: Int
    public var height: Int
    public var options: StyleTransferOptions
    public var totalSeconds: Double
    /// Both runs' coarse-to-fine schedule (`ScaleSchedule`: size and evaluations per scale);
    /// absent for one scale at `size`.
    public var schedule: [ScaleSchedule.Scale]?
    /// Set by the caller that knows them.
    public var model: TransferSidecar.Model?
    public var command: String?
    /// The nst that wrote it (`nst --version`).
    public var toolVersion = NSTVersion.string

    /// How many times E_l fell from the photo's to run `key`'s image at `layer`.
    public func fell(_ key: String, at layer: String) -> Double {
        guard let photo = contentImage.styleLoss[layer], let v = runs[key]?.styleLoss[layer], v > 0 else { return .nan }
        return photo / v
    }

    /// E_l(5 layers) / E_l(3 layers) at `layer`: < 1 where the 5-layer image matches the
    /// style better.
    public func ratio(at layer: String) -> Double {
        guard let a = runs["3"]?.styleLoss[layer], let b = runs["5"]?.styleLoss[layer], a > 0 else { return .nan }
        return b / a
    }

    /// One plain sentence that reads the result (the last line on the terminal, and the
    /// report's conclusion).
    public var reading: String {
        let firstThree = Set(runs["3"]?.styleLayersUsed ?? Array(evaluationLayers.prefix(3)))
        let shallow = evaluationLayers.filter(firstThree.contains), deep = evaluationLayers.filter { !firstThree.contains($0) }
        let falls = ["3", "5"].flatMap { key in shallow.map { fell(key, at: $0) } }.filter(\.isFinite)
        let ratios = deep.map { ratio(at: $0) }
        let fellText = falls.isEmpty ? "" : " (their style loss at \(shallow.first!)–\(shallow.last!) fell \(times(falls.min()!))–\(times(falls.max()!)) from the photo's)"
        let ratioText = zip(deep, ratios).map { "\(String(format: "%.2f", $1))× at \($0)" }.joined(separator: " and ")
        if let least = falls.min(), least < 5 {
            return "Neither image moved far from the photo\(fellText), so neither shows the painting's style clearly: use more --iterations or a larger --style-weight."
        }
        if ratios.allSatisfy({ $0 < 0.8 }) {
            return "Both images took on the painting's fine texture\(fellText); only the 5-layer image also matched its large-scale structure (its style loss is \(ratioText) the 3-layer image's), so the image with the larger swirls and crests is the one made with all 5 layers."
        }
        if ratios.allSatisfy({ $0 < 1 }) {
            return "The 5-layer image matches the painting's deep layers only slightly better (\(ratioText) the 3-layer image's style loss)\(fellText); the difference may be hard to see: try more --iterations or a larger --style-weight."
        }
        return "At these settings the 5-layer image does not match the deep layers better (\(ratioText) the 3-layer image's style loss)\(fellText): the runs have not separated; try more --iterations or a larger --style-weight."
    }

    func times(_ v: Double) -> String { v >= 10 ? String(format: "%.0f×", v) : String(format: "%.1f×", v) }

    /// The table printed on the terminal: per layer, the photo's E_l, each image's, how many
    /// times it fell, and the 5/3 ratio; then the content loss.
    public var table: String {
        func cell(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        func sci(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.4g", $0) : "—" } ?? "—" }
        var out = cell("layer", 10) + cell("photo", 12) + cell("3 layers", 12) + cell("5 layers", 12)
            + cell("fell (3)", 10) + cell("fell (5)", 10) + "ratio 5/3\n"
        for l in evaluationLayers {
            out += cell(l, 10) + cell(sci(contentImage.styleLoss[l]), 12) + cell(sci(runs["3"]?.styleLoss[l]), 12)
                + cell(sci(runs["5"]?.styleLoss[l]), 12) + cell(times(fell("3", at: l)), 10) + cell(times(fell("5", at: l)), 10)
                + String(format: "%.3f", ratio(at: l)) + "\n"
        }
        let ca = runs["3"]?.contentLoss ?? .nan, cb = runs["5"]?.contentLoss ?? .nan
        out += cell("content", 10) + cell("0", 12) + cell(sci(ca), 12) + cell(sci(cb), 12) + cell("", 10) + cell("", 10)
            + String(format: "%.3f", cb / ca) + "\n"
        return out
    }
}

/// Inline SVG line charts (log-scale y, labelled axes and ticks), no external resources.
public enum SVGChart {
    public struct Series {
        public var name: String
        public var color: String
        /// (x, y) points; y ≤ 0 or non-finite points are left out (log scale).
        public var points: [(x: Double, y: Double)]
        public var dashed = false
        /// Drawn as dots, not joined.
        public var dots = false
        public init(name: String, color: String, points: [(x: Double, y: Double)], dashed: Bool = false, dots: Bool = false) {
            self.name = name; self.color = color; self.points = points; self.dashed = dashed; self.dots = dots
        }
    }

    /// One chart as an SVG group (`<g>`) whose top-left corner is at (`x`, `y`) of the
    /// enclosing <svg> (see `document`).
    public enum Legend { case none, topRight, bottomLeft }

    public static func chart(_ series: [Series], title: String, xLabel: String, yLabel: String,
                             width: Int = 640, height: Int = 300, x: Int = 0, y: Int = 0, legend: Legend = .topRight) -> String {
        let left = 70.0, right = 16.0, top = 28.0, bottom = 44.0
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        let all = series.flatMap(\.points).filter { $0.y > 0 && $0.y.isFinite }
        var lo = floor(log10(all.map(\.y).min() ?? 1)), hi = ceil(log10(all.map(\.y).max() ?? 10))
        if hi <= lo { hi = lo + 1 }
        if hi - lo > 12 { lo = hi - 12 }
        let xMax = max(all.map(\.x).max() ?? 1, 1), xMin = min(all.map(\.x).min() ?? 0, 0)
        func px(_ v: Double) -> Double { left + w * (v - xMin) / max(xMax - xMin, 1e-9) }
        func py(_ v: Double) -> Double { top + h * (1 - (log10(max(v, 1e-300)) - lo) / (hi - lo)) }
        var s = "<g transform=\"translate(\(x) \(y))\">\n"
        s += "<text x=\"\(Int(left))\" y=\"16\" font-size=\"13\">\(escape(title))</text>\n"
        // y: a tick at every decade, labelled.
        for d in stride(from: lo, through: hi, by: 1) {
            let yy = fmt(py(pow(10, d)))
            s += "<line x1=\"\(fmt(left - 4))\" y1=\"\(yy)\" x2=\"\(fmt(left + w))\" y2=\"\(yy)\" stroke=\"#e4e4e4\"/>"
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(py(pow(10, d)) + 4))\" text-anchor=\"end\">1e\(Int(d))</text>\n"
        }
        // x: about five round ticks.
        let step = niceStep((xMax - xMin) / 5)
        for t in stride(from: ceil(xMin / step) * step, through: xMax + 1e-9, by: step) {
            s += "<line x1=\"\(fmt(px(t)))\" y1=\"\(fmt(top + h))\" x2=\"\(fmt(px(t)))\" y2=\"\(fmt(top + h + 4))\" stroke=\"#333\"/>"
            s += "<text x=\"\(fmt(px(t)))\" y=\"\(fmt(top + h + 16))\" text-anchor=\"middle\">\(Int(t))</text>\n"
        }
        s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top + h))\" x2=\"\(fmt(left + w))\" y2=\"\(fmt(top + h))\" stroke=\"#333\"/>"
        s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top))\" x2=\"\(fmt(left))\" y2=\"\(fmt(top + h))\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(fmt(left + w / 2))\" y=\"\(height - 6)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text transform=\"translate(14 \(fmt(top + h / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (k, one) in series.enumerated() {
            let visible = one.points.filter { $0.y > 0 && $0.y.isFinite }
            let dash = one.dashed ? " stroke-dasharray=\"5 4\"" : ""
            if one.dots {
                for p in visible {
                    s += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(max(p.y, pow(10, lo)))))\" r=\"4\" fill=\"\(one.color)\"/>"
                }
            } else if !visible.isEmpty {
                let pts = visible.map { "\(fmt(px($0.x))),\(fmt(py(max($0.y, pow(10, lo)))))" }.joined(separator: " ")
                s += "<polyline fill=\"none\" stroke=\"\(one.color)\" stroke-width=\"1.5\"\(dash) points=\"\(pts)\"/>\n"
            }
            let lx: Double, ly: Double
            switch legend {
            case .none: continue
            case .topRight: lx = left + w - 190; ly = top + 12 + Double(k) * 15
            case .bottomLeft: lx = left + 8; ly = top + h - 8 - Double(series.count - 1 - k) * 15
            }
            if one.dots {
                s += "<circle cx=\"\(fmt(lx + 8))\" cy=\"\(fmt(ly - 4))\" r=\"4\" fill=\"\(one.color)\"/>"
            } else {
                s += "<line x1=\"\(fmt(lx))\" y1=\"\(fmt(ly - 4))\" x2=\"\(fmt(lx + 16))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(one.color)\" stroke-width=\"2\"\(dash)/>"
            }
            s += "<text x=\"\(fmt(lx + 20))\" y=\"\(fmt(ly))\">\(escape(one.name))</text>\n"
        }
        return s + "</g>\n"
    }

    /// A standalone SVG document of `width`×`height` holding `body` (charts from `chart`).
    public static func document(width: Int, height: Int, _ body: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" + body + "</svg>\n"
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let p = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 5, 10] where m * p >= raw { return max(m * p, 1) }
        return max(10 * p, 1)
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The experiment's pictures and pages, made from its outcome: figure.png, curves.svg,
/// report.html.
public enum StyleDepthReport {
    static let colors: [String: String] = ["3": "#1f77b4", "5": "#d62728"]

    /// content | style | 3 layers | 5 layers in one labelled row, the credits underneath (the
    /// derived images keep the photo's CC BY-SA licence wherever they are shown).
    public static func figure(content: RGBImage, style: RGBImage, layers3: RGBImage, layers5: RGBImage) -> RGBImage {
        let h = layers3.height
        func fit(_ i: RGBImage) -> RGBImage { i.height == h ? i : i.resized(width: max(1, i.width * h / i.height), height: h) }
        let row = Canvas.sideBySide([
            (fit(content), "content (photo)"),
            (fit(style), "style (painting)"),
            (layers3, "style layers\nrelu1_1 - relu3_1\n(first 3)"),
            (layers5, "style layers\nrelu1_1 - relu5_1\n(all 5)"),
        ], title: "Style depth: first 3 vs all 5 VGG style layers")
        let credits = "Sea turtle: P. Lindgren, CC BY-SA 3.0; the restyled images keep that licence. The Great Wave: Hokusai, public domain."
        let textHeight = BitmapFont.size(of: credits).height
        var canvas = Canvas(width: row.width, height: row.height + textHeight + 12)
        canvas.draw(row, x: 0, y: 0)
        canvas.drawCentredLines(credits, centreX: row.width / 2, y: row.height, color: RGBColor(0.3, 0.3, 0.3))
        return canvas.image
    }

    /// curves.svg: the total objective of both runs, then one panel per style layer (E_l
    /// against evaluation, the photo's E_l dashed), accepted iterates only.
    public static func curves(_ m: StyleDepthMetrics) -> String {
        func series(_ key: String, _ value: (StyleDepthMetrics.Point) -> Double?) -> SVGChart.Series? {
            guard let run = m.runs[key] else { return nil }
            let pts = run.curve.compactMap { p in value(p).map { (x: Double(p.evaluation), y: $0) } }
            return pts.isEmpty ? nil : SVGChart.Series(name: "\(key == "3" ? "first 3" : "all 5") style layers", color: colors[key]!, points: pts)
        }
        let panelW = 330, panelH = 230, totalW = 3 * panelW, totalH = 300
        // The objective's legend also explains the panels' marks.
        let keys: [SVGChart.Series] = [
            .init(name: "photo (both runs' start)", color: "#777", points: [], dashed: true),
            .init(name: "3-layer image, as written", color: colors["3"]!, points: [], dots: true),
            .init(name: "5-layer image, as written", color: colors["5"]!, points: [], dots: true),
        ]
        var svg = SVGChart.chart(["3", "5"].compactMap { series($0) { $0.total } } + keys,
                              title: "Objective α·content + β·Σ E_l (accepted iterates)", xLabel: "evaluation",
                              yLabel: "objective (log)", width: totalW, height: totalH)
        for (i, layer) in m.evaluationLayers.enumerated() {
            var s = ["3", "5"].compactMap { series($0) { $0.styleLoss[layer] } }
            let last = Double(m.runs.values.map(\.evaluations).max() ?? 1)
            if let photo = m.contentImage.styleLoss[layer] {
                s.append(.init(name: "photo", color: "#777", points: [(0, photo), (last, photo)], dashed: true))
            }
            // Each final image as written, scored at this layer (the 3-layer one too, where
            // it never optimised this layer).
            for key in ["3", "5"] {
                if let v = m.runs[key]?.styleLoss[layer] {
                    s.append(.init(name: "\(key)-layer image", color: colors[key]!, points: [(last, v)], dots: true))
                }
            }
            let note = m.runs["3"]?.styleLayersUsed.contains(layer) == false ? " (3-layer run: not optimised)" : ""
            svg += SVGChart.chart(s, title: "E_l at \(layer)\(note)", xLabel: "evaluation", yLabel: "E_l (log)",
                                  width: panelW, height: panelH, x: (i % 3) * panelW, y: totalH + (i / 3) * panelH, legend: .none)
        }
        return SVGChart.document(width: totalW, height: totalH + 2 * panelH, svg)
    }

    /// report.html: one self-contained page (images as data URIs, charts inline).
    public static func html(metrics m: StyleDepthMetrics, figurePNG: [UInt8], curvesSVG: String) -> String {
        let esc = SVGChart.escape
        func sci(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.4g", $0) : "—" } ?? "—" }
        var rows = ""
        for l in m.evaluationLayers {
            rows += "<tr><td>\(esc(l))</td><td>\(sci(m.contentImage.styleLoss[l]))</td><td>\(sci(m.runs["3"]?.styleLoss[l]))</td><td>\(sci(m.runs["5"]?.styleLoss[l]))</td>"
            rows += "<td>\(esc(m.times(m.fell("3", at: l))))</td><td>\(esc(m.times(m.fell("5", at: l))))</td><td>\(String(format: "%.3f", m.ratio(at: l)))</td></tr>\n"
        }
        let ca = m.runs["3"]?.contentLoss ?? .nan, cb = m.runs["5"]?.contentLoss ?? .nan
        rows += "<tr><td>content (\(esc(m.contentLayer)))</td><td>0</td><td>\(sci(ca))</td><td>\(sci(cb))</td><td></td><td></td><td>\(String(format: "%.3f", cb / ca))</td></tr>\n"
        let o = m.options
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>nst experiment style-depth</title>
        <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
        td:first-child,th:first-child{text-align:left}img{max-width:100%}
        pre{background:#f4f4f4;padding:8px;overflow-x:auto}.reading{font-size:1.1em;background:#fff8e0;padding:8px}</style></head>
        <body>
        <h1>Style depth: first 3 vs all 5 style layers</h1>
        <p>The sea turtle restyled with the Great Wave twice, with everything identical but the style layers:
        \(esc(m.evaluationLayers.first ?? ""))–\(esc(m.evaluationLayers.prefix(3).last ?? "")) (first 3) or \(esc(m.evaluationLayers.first ?? ""))–\(esc(m.evaluationLayers.last ?? "")) (all 5). Content layer \(esc(m.contentLayer)).
        \(m.width)×\(m.height) px, \(m.runs["3"]?.evaluations ?? 0) evaluations per run, α = \(String(format: "%g", o.contentWeight)), β = \(powerOfTen(o.styleWeight)),
        \(m.normalizeVGG ? "normalised VGG" : "VGG as trained"), \(o.pooling.rawValue) pooling, start: \(o.initMode.rawValue).
        Layer names are the network's: reluB_I is the rectified output (the paper's convB_I), convB_I the map before the ReLU.</p>
        <img alt="content, style, first 3 and all 5 style layers side by side" src="data:image/png;base64,\(Data(figurePNG).base64EncodedString())">
        <p class="reading">\(esc(m.reading))</p>
        <h2>Style loss E_l against the painting</h2>
        <p>E_l = Σ(G−A)²/(4N²M²) at every layer, including those the 3-layer run did not optimise; the photo is where
        both runs started. “Fell” is the photo's E_l over the image's. A 5/3 ratio below 1: the 5-layer image matches
        the painting better at that layer. Content loss ½Σ(F−P)² at \(esc(m.contentLayer)).</p>
        <table><tr><th>layer</th><th>photo</th><th>3 layers</th><th>5 layers</th><th>fell (3)</th><th>fell (5)</th><th>ratio 5/3</th></tr>
        \(rows)</table>
        <h2>Loss curves</h2>
        <p>Accepted iterates only: the trials the line search rejected are left out.</p>
        \(curvesSVG)
        <h2>Command</h2>
        <pre>\(esc(m.command ?? ""))</pre>
        <p>Model: \(esc(m.model?.architecture ?? "")) \(esc(m.model?.path ?? "")) (sha256 \(esc(m.model?.sha256 ?? ""))). Total time \(String(format: "%.1f", m.totalSeconds)) s.</p>
        <p><small>\(esc(StyleDepthExperiment.credits)) The restyled images are derived from the photograph and keep its CC BY-SA 3.0 licence.</small></p>
        </body></html>

        """
    }
}

/// 1e7 for 10 000 000 (a power of ten), the shortest decimal otherwise: how help and the
/// report print weights for people.
public func powerOfTen(_ v: Double) -> String {
    let e = log10(v)
    return v > 0 && e == e.rounded() ? "1e\(Int(e))" : String(format: "%g", v)
}
