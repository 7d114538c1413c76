import Foundation
import Testing
import NSTStyleJobs
import NSTStyleFlags

/// `--scales` and `--scale-evaluations`: the schedule's sizes and budget, and the refusals.
@Suite struct ScaleScheduleTests {
    @Test func sizesGrowByRootTwoUpToTheRunSize() {
        #expect(ScaleSchedule.sizes(size: 384, count: 1) == [384])
        #expect(ScaleSchedule.sizes(size: 384, count: 2) == [272, 384])  // 384/√2 = 271.5
        #expect(ScaleSchedule.sizes(size: 384, count: 3) == [192, 272, 384])
        #expect(ScaleSchedule.sizes(size: 512, count: 5) == [128, 181, 256, 362, 512])
        for n in 1...6 {
            let s = ScaleSchedule.sizes(size: 300, count: n)
            #expect(s.last == 300 && s == s.sorted() && Set(s).count == n)
        }
    }

    @Test func theBudgetIsSplitEquallyWithTheRestToTheSmallScales() {
        let s = ScaleSchedule(size: 384, count: 3, total: 250)
        #expect(s.scales.map(\.evaluations) == [84, 83, 83])
        #expect(s.totalEvaluations == 250)
        let given = ScaleSchedule(size: 384, count: 3, total: 999, perScale: [150, 60, 40])
        #expect(given.scales == [.init(size: 192, evaluations: 150), .init(size: 272, evaluations: 60), .init(size: 384, evaluations: 40)])
        #expect(given.totalEvaluations == 250)
        #expect(given.summary == "3 scales: 192 px × 150, 272 px × 60, 384 px × 40 = 250 evaluations")
        #expect(given.label(1, width: 272, height: 204) == " · scale 2/3, 272×204")
        #expect(ScaleSchedule.single(size: 384, evaluations: 250).label(0, width: 384, height: 288) == "")
    }

    @Test func oneScaleIsNoSchedule() throws {
        #expect(try ScaleOptions.parse([]).schedule(size: 384, iterations: 250) == nil)
        #expect(try ScaleOptions.parse(["--scales", "1"]).schedule(size: 384, iterations: 250) == nil)
        #expect(try ScaleOptions.parse(["--scales", "2"]).schedule(size: 384, iterations: 9)?.scales.map(\.evaluations) == [5, 4])
    }

    @Test(arguments: [["--scales", "0"], ["--scales", "-1"], ["--scales", "x"], ["--scales", "2.5"], ["--scales", ""],
                      ["--scales", "9"], ["--scales", "3", "--scale-evaluations", "1,2"], ["--scales", "2", "--scale-evaluations", "1,0"],
                      ["--scales", "2", "--scale-evaluations", "a,b"], ["--scale-evaluations", "10,10"]])
    func malformedValuesAreRefusedNamingTheFlag(_ arguments: [String]) {
        do {
            _ = try ScaleOptions.parse(arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            let message = ScaleOptions.message(for: error)
            #expect(message.contains(arguments.count > 2 ? "--scale-evaluations" : "--scales"), "\(message)")
            #expect(message.contains("e.g.") && !message.contains("\n"), "\(message)")
        }
    }

    @Test func aScheduleTooSmallOrWithTooFewEvaluationsIsRefused() throws {
        #expect(throws: (any Error).self) { try ScaleOptions.parse(["--scales", "8"]).schedule(size: 32, iterations: 100) }
        #expect(throws: (any Error).self) { try ScaleOptions.parse(["--scales", "3"]).schedule(size: 384, iterations: 2) }
    }
}
