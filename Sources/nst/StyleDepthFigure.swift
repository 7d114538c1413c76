import NSTImage

/// figure.png of `nst experiment style-depth`: content | style | 3 layers | 5 layers in one
/// row, labelled (NSTImage's Canvas and bitmap font), the style image scaled to the same
/// height as the others (credits are in report.html and the README).
enum StyleDepthFigure {
    static func make(content: RGBImage, style: RGBImage, layers3: RGBImage, layers5: RGBImage, credits: String) -> RGBImage {
        let h = layers3.height
        func fit(_ i: RGBImage) -> RGBImage { i.height == h ? i : i.resized(width: max(1, i.width * h / i.height), height: h) }
        return Canvas.sideBySide([
            (fit(content), "content"),
            (fit(style), "style"),
            (layers3, "style layers\nconv1_1 - conv3_1\n(first 3)"),
            (layers5, "style layers\nconv1_1 - conv5_1\n(all 5)"),
        ], title: "Style depth: first 3 vs all 5 VGG style layers")
    }
}
