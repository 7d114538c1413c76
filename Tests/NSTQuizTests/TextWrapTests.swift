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
}
