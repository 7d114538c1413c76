import Foundation

/// metrics.json of `nst experiment style-depth`: for each run ("3", "5") the style loss
/// E_l against the style image at each of the five style layers and the content loss,
/// all evaluated on the written images with the same network and normalisation.
public struct StyleDepthMetrics: Codable, Sendable {
    public struct Run: Codable, Sendable {
        /// E_l = Σ(G−A)²/(4N²M²) per layer, unweighted.
        public var styleLoss: [String: Double]
        /// ½Σ(F−P)² at the content layer.
        public var contentLoss: Double
        /// With --normalize-vgg: the same scores with the unnormalised network, so runs with
        /// and without normalisation can be compared in one unit.
        public var styleLossRawVGG: [String: Double]?
        public var contentLossRawVGG: Double?
        public var styleLayersUsed: [String]
        public var evaluations: Int
        public var seconds: Double
        /// Weighted total objective of each evaluation, in order.
        public var curve: [Double]

        public init(styleLoss: [String: Double], contentLoss: Double, styleLayersUsed: [String],
                    evaluations: Int, seconds: Double, curve: [Double]) {
            self.styleLoss = styleLoss; self.contentLoss = contentLoss; self.styleLayersUsed = styleLayersUsed
            self.evaluations = evaluations; self.seconds = seconds; self.curve = curve
        }
    }
    public var runs: [String: Run]
    public var contentLayer: String
    public var evaluationLayers: [String]
    public var normalizeVGG: Bool
    public var normalizeGradients: Bool
    public var size: Int
    public var width: Int
    public var height: Int
    public var model: TransferSidecar.Model
    public var options: StyleTransferOptions
    public var command: String
    public var totalSeconds: Double

    public init(runs: [String: Run], contentLayer: String, evaluationLayers: [String], normalizeVGG: Bool,
                normalizeGradients: Bool, size: Int, width: Int, height: Int, model: TransferSidecar.Model,
                options: StyleTransferOptions, command: String, totalSeconds: Double) {
        self.runs = runs; self.contentLayer = contentLayer; self.evaluationLayers = evaluationLayers
        self.normalizeVGG = normalizeVGG; self.normalizeGradients = normalizeGradients; self.size = size
        self.width = width; self.height = height; self.model = model; self.options = options
        self.command = command; self.totalSeconds = totalSeconds
    }

    /// E_l(5 layers) / E_l(3 layers) per layer: < 1 where the 5-layer image matches the
    /// style better.
    public var ratios: [String: Double] {
        guard let a = runs["3"], let b = runs["5"] else { return [:] }
        var out: [String: Double] = [:]
        for (l, v) in a.styleLoss { if let w = b.styleLoss[l], v > 0 { out[l] = w / v } }
        return out
    }
}

/// Inline SVG line chart of loss curves (log scale), no external resources.
public enum SVGChart {
    public static func lossCurves(_ series: [(name: String, color: String, values: [Double])],
                                  width: Int = 640, height: Int = 300, title: String) -> String {
        let left = 70.0, right = 20.0, top = 30.0, bottom = 40.0
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        let positive = series.flatMap { $0.values }.filter { $0 > 0 && $0.isFinite }
        let lo = log10(positive.min() ?? 1), hiRaw = log10(positive.max() ?? 10)
        let hi = hiRaw > lo ? hiRaw : lo + 1
        let n = max(series.map { $0.values.count }.max() ?? 1, 2)
        func px(_ i: Int) -> Double { left + w * Double(i) / Double(n - 1) }
        func py(_ v: Double) -> Double { top + h * (1 - (log10(max(v, 1e-300)) - lo) / (hi - lo)) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(Int(left))\" y=\"18\" font-size=\"14\">\(escape(title))</text>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top + h)\" x2=\"\(left + w)\" y2=\"\(top + h)\" stroke=\"#333\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + h)\" stroke=\"#333\"/>\n"
        // Decade ticks on the log axis.
        var d = floor(lo)
        while d <= ceil(hi) {
            if d >= lo - 1e-9 && d <= hi + 1e-9 {
                let y = py(pow(10, d))
                s += "<line x1=\"\(left - 4)\" y1=\"\(fmt(y))\" x2=\"\(left + w)\" y2=\"\(fmt(y))\" stroke=\"#ddd\"/>"
                s += "<text x=\"\(left - 6)\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">1e\(Int(d))</text>\n"
            }
            d += 1
        }
        s += "<text x=\"\(fmt(left + w / 2))\" y=\"\(height - 8)\" text-anchor=\"middle\">evaluation (1…\(n))</text>\n"
        for (k, one) in series.enumerated() {
            let pts = one.values.enumerated().filter { $0.element > 0 && $0.element.isFinite }
                .map { "\(fmt(px($0.offset))),\(fmt(py($0.element)))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(one.color)\" stroke-width=\"1.5\" points=\"\(pts)\"/>\n"
            let ly = top + 14 + Double(k) * 16
            s += "<rect x=\"\(fmt(left + w - 150))\" y=\"\(fmt(ly - 9))\" width=\"12\" height=\"3\" fill=\"\(one.color)\"/>"
            s += "<text x=\"\(fmt(left + w - 132))\" y=\"\(fmt(ly - 4))\">\(escape(one.name))</text>\n"
        }
        s += "</svg>"
        return s
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// report.html: one self-contained page (images as base64 data URIs, curves as inline SVG).
public enum StyleDepthReport {
    public static func html(metrics: StyleDepthMetrics, figurePNG: Data, imagePNGs: [String: Data],
                            credits: String) -> String {
        let esc = SVGChart.escape
        let layers = metrics.evaluationLayers
        var rows = ""
        for l in layers {
            let a = metrics.runs["3"]?.styleLoss[l] ?? .nan, b = metrics.runs["5"]?.styleLoss[l] ?? .nan
            rows += "<tr><td>\(esc(l))</td><td>\(sci(a))</td><td>\(sci(b))</td><td>\(String(format: "%.3f", b / a))</td></tr>\n"
        }
        let ca = metrics.runs["3"]?.contentLoss ?? .nan, cb = metrics.runs["5"]?.contentLoss ?? .nan
        rows += "<tr><td>content (\(esc(metrics.contentLayer)))</td><td>\(sci(ca))</td><td>\(sci(cb))</td><td>\(String(format: "%.3f", cb / ca))</td></tr>\n"
        let chart = SVGChart.lossCurves([
            ("first 3 style layers", "#1f77b4", metrics.runs["3"]?.curve ?? []),
            ("all 5 style layers", "#d62728", metrics.runs["5"]?.curve ?? []),
        ], title: "Total loss per evaluation (log scale)")
        func img(_ name: String) -> String {
            guard let d = imagePNGs[name] else { return "" }
            return "<figure><img alt=\"\(esc(name))\" src=\"data:image/png;base64,\(d.base64EncodedString())\"><figcaption>\(esc(name))</figcaption></figure>"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>nst experiment style-depth</title>
        <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
        td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:0 1em 1em 0}
        img{max-width:100%}code,pre{background:#f4f4f4;padding:2px 4px}pre{padding:8px;overflow-x:auto}</style></head>
        <body>
        <h1>Style depth: first 3 vs all 5 style layers</h1>
        <p>Content layer \(esc(metrics.contentLayer)); style layers \(esc(metrics.runs["3"]?.styleLayersUsed.joined(separator: ", ") ?? "")) vs \(esc(metrics.runs["5"]?.styleLayersUsed.joined(separator: ", ") ?? "")); everything else identical.
        \(metrics.width)×\(metrics.height) px, \(metrics.runs["3"]?.evaluations ?? 0) evaluations per run, normalised VGG: \(metrics.normalizeVGG ? "yes" : "no"), normalised gradients: \(metrics.normalizeGradients ? "yes" : "no").</p>
        <img alt="side-by-side figure" src="data:image/png;base64,\(figurePNG.base64EncodedString())">
        <div>\(img("layers-3.png"))\(img("layers-5.png"))</div>
        <h2>Style loss E_l of each image against the style image</h2>
        <p>E_l = Σ(G−A)²/(4N²M²) at every layer (also those a run did not optimise), content loss ½Σ(F−P)²,
        both images evaluated with the same network and normalisation. Ratio &lt; 1: the 5-layer image matches the style better there.</p>
        <table><tr><th>layer</th><th>3 layers</th><th>5 layers</th><th>ratio 5/3</th></tr>
        \(rows)</table>
        <h2>Loss curves</h2>
        \(chart)
        <h2>Command</h2>
        <pre>\(esc(metrics.command))</pre>
        <p>Model: \(esc(metrics.model.architecture)) \(esc(metrics.model.path)) (sha256 \(esc(metrics.model.sha256))). Total time \(String(format: "%.1f", metrics.totalSeconds)) s.</p>
        <p><small>\(esc(credits))</small></p>
        </body></html>

        """
    }

    static func sci(_ v: Double) -> String { v.isFinite ? String(format: "%.4g", v) : "—" }
}
