import Testing
import NSTQuiz

/// Wrapping at spaces: never mid-word, indentation kept, escape sequences untouched.
@Suite struct TextWrapTests {
    @Test func wrapsAtSpacesAndKeepsTheIndentation() {
        #expect(TextWrap.wrap("aaa bbb ccc", width: 7) == "aaa bbb\nccc")
        #expect(TextWrap.wrap("  one two three", width: 9) == "  one two\n  three")
        #expect(TextWrap.wrap("short\n\nlines stay", width: 20) == "short\n\nlines stay")
        #expect(TextWrap.wrap("a verylongwordthatdoesnotfit b", width: 8) == "a\nverylongwordthatdoesnotfit\nb")
        #expect(TextWrap.wrap("x y", width: 0) == "x y")
    }

    @Test func linesWithEscapesAreLeftAlone() {
        let image = "\u{1B}[38;5;1m▀▀▀▀ ▀▀▀▀ ▀▀▀▀\u{1B}[0m"
        #expect(TextWrap.wrap(image, width: 4) == image)
        let link = "  [first] file:///home/someone/.local/state/nst/images/neural-style-transfer-first.png"
        #expect(TextWrap.wrap(link, width: 40) == link)
    }

    @Test func everyWordSurvives() {
        let text = "Deeper layers have larger receptive fields, so they capture larger structures such as the swirls and crests of the painting; shallow layers only capture fine texture."
        for width in [10, 17, 33, 80] {
            let wrapped = TextWrap.wrap(text, width: width)
            #expect(wrapped.split(separator: "\n").allSatisfy { $0.count <= width || !$0.contains(" ") }, "\(width)")
            #expect(wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }) == text.split(separator: " "), "\(width)")
        }
    }

    /// Prose wrapped for a wider screen is reflowed as one paragraph, not left ragged; tables,
    /// lists and formula displays keep their lines.
    @Test func proseWrappedWiderIsReflowed() {
        let bank = "At layer l of a CNN with N filters and M positions (height by width), F is the N by M\nmatrix of the generated image's responses and P that of the content photograph. The\nlayer's content loss is"
        let lines: [String] = TextWrap.wrap(bank, width: 60).components(separatedBy: "\n")
        #expect(lines.allSatisfy { $0.count <= 60 })
        #expect(lines.dropLast().allSatisfy { $0.count > 45 }, "ragged: \(lines)")
        let table = "  hint     the next hint\n  skip     leave the question for next time, it will come back again later on"
        #expect(TextWrap.wrap(table, width: 60).hasPrefix("  hint     the next hint\n  skip"))
        let display = "The loss is\n\n    L = 1/2 sum (F - P)^2 over every entry of the two matrices of the layer"
        #expect(TextWrap.wrap(display, width: 40).contains("\n\n    L = 1/2"))
    }
}
